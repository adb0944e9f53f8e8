// Go's net package as OPA's net.* builtins use it: addresses and networks as bytes, parsed and printed as Go does.

/** An address as Go holds it: 4 or 16 bytes. */
export type IP = number[];

/** A network as Go's net.IPNet: its address and mask. */
export interface IPNet {
  ip: IP;
  mask: IP;
}

/** The first twelve bytes of a v4-mapped IPv6 address. */
export const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Returns the 16 bytes of an address and whether it was written as IPv4, as netip.ParseAddr; undefined if invalid. */
function parseAddr(s: string): { bytes: IP; is4: boolean } | undefined {
  const first = /[.:%]/.exec(s)?.[0];
  if (first === '.') {
    const v4 = parseV4(s);
    return v4 && { bytes: [...V4_PREFIX, ...v4], is4: true };
  }
  // A zone ("%eth0") is never valid in a CIDR or in net.ParseIP.
  if (first !== ':' || s.includes('%')) return undefined;
  return parseV6(s);
}

/** Returns the four bytes of dotted decimal (no leading zeros, each at most 255), or undefined. */
function parseV4(s: string): IP | undefined {
  const fields = s.split('.');
  if (fields.length !== 4 || !fields.every((f) => /^(0|[1-9][0-9]{0,2})$/.test(f) && Number(f) <= 255)) {
    return undefined;
  }
  return fields.map(Number);
}

/** Returns the 16 bytes of IPv6 text as netip parses it: 1-4 hex digits a group, one "::", IPv4 as the tail. */
function parseV6(s: string): { bytes: IP; is4: boolean } | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half, h) => {
    const parts = half === '' ? [] : half.split(':');
    return parts.flatMap((part, i): (number | undefined)[] => {
      if (/^[0-9a-fA-F]{1,4}$/.test(part))
        return [(parseInt(part, 16) >> 8) & 0xff, parseInt(part, 16) & 0xff];
      // Dotted IPv4 only as the very last group.
      const last = h === halves.length - 1 && i === parts.length - 1;
      return (last ? parseV4(part) : undefined) ?? [undefined];
    });
  });
  const [head = [], tail = []] = groups;
  if ([...head, ...tail].some((b) => b === undefined)) return undefined;
  const zeros = 16 - head.length - tail.length;
  // Without "::" the groups fill 16 bytes; "::" stands for at least one group of zeros.
  if (halves.length === 1 ? zeros !== 0 : zeros < 2) return undefined;
  return { bytes: [...head, ...new Array<number>(zeros).fill(0), ...tail] as IP, is4: false };
}

/** Go's net.ParseIP: 16 bytes for either family, or undefined. */
export function parseIP(s: string): IP | undefined {
  return parseAddr(s)?.bytes;
}

/** Go's net.CIDRMask. */
export function cidrMask(ones: number, bits: number): IP {
  return Array.from({ length: bits / 8 }, (_, i) => 0xff & ~(0xff >> Math.min(8, Math.max(0, ones - 8 * i))));
}

/** Go's net.ParseCIDR: the address as written (16 bytes) and its network (masked; 4 bytes for IPv4). */
export function parseCIDR(s: string): { ip: IP; net: IPNet } {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? undefined : parseAddr(s.slice(0, slash));
  const prefix = s.slice(slash + 1);
  const bits = addr?.is4 ? 32 : 128;
  // Go's dtoi: decimal digits only (leading zeros allowed).
  if (!addr || !/^[0-9]{1,7}$/.test(prefix) || Number(prefix) > bits)
    throw new RangeError(`invalid CIDR address: ${s}`);
  const mask = cidrMask(Number(prefix), bits);
  return { ip: addr.bytes, net: { ip: maskIP(addr.bytes, mask) ?? [], mask } };
}

/** Go's IP.To4: the four bytes of an IPv4 or v4-mapped address, or undefined. */
export function to4(ip: IP): IP | undefined {
  if (ip.length === 4) return ip;
  if (ip.length === 16 && V4_PREFIX.every((b, i) => ip[i] === b)) return ip.slice(12);
  return undefined;
}

/** Go's IP.Mask, which lets a 4-byte mask apply to a v4-mapped address and vice versa. */
export function maskIP(ip: IP, mask: IP): IP | undefined {
  let [a, m] = [ip, mask];
  if (m.length === 16 && a.length === 4 && m.slice(0, 12).every((b) => b === 0xff)) m = m.slice(12);
  if (m.length === 4 && a.length === 16 && V4_PREFIX.every((b, i) => a[i] === b)) a = a.slice(12);
  return a.length === m.length ? a.map((b, i) => b & (m[i] ?? 0)) : undefined;
}

/** Returns the prefix length of a canonical mask (ones, then zeros), else -1. */
export function maskLength(mask: IP): number {
  const bits = mask.map((b) => b.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') < 0 ? bits.length : bits.indexOf('0')) : -1;
}

/** Go's networkNumberAndMask: the network's address and mask in one family, or undefined. */
function networkAndMask(n: IPNet): { ip: IP; mask: IP } | undefined {
  const ip = to4(n.ip) ?? (n.ip.length === 16 ? n.ip : undefined);
  if (!ip) return undefined;
  if (n.mask.length === 4) return ip.length === 4 ? { ip, mask: n.mask } : undefined;
  if (n.mask.length === 16) return { ip, mask: ip.length === 4 ? n.mask.slice(12) : n.mask };
  return undefined;
}

/** Go's IPNet.Contains. */
export function contains(n: IPNet, address: IP): boolean {
  const nm = networkAndMask(n);
  const ip = to4(address) ?? address;
  if (!nm || ip.length !== nm.ip.length) return false;
  return ip.every((b, i) => (b & (nm.mask[i] ?? 0)) === ((nm.ip[i] ?? 0) & (nm.mask[i] ?? 0)));
}

/** Go's IP.String(): dotted decimal for IPv4 (and v4-mapped), RFC 5952 for IPv6. */
export function ipString(ip: IP): string {
  if (ip.length === 0) return '<nil>';
  const v4 = to4(ip);
  if (v4) return v4.join('.');
  if (ip.length !== 16) return `?${ip.map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((ip[2 * i] ?? 0) << 8) | (ip[2 * i + 1] ?? 0));
  let [start, end] = [-1, -1];
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i >= 2 && j - i > end - start) [start, end] = [i, j];
  }
  if (start < 0) return groups.map((g) => g.toString(16)).join(':');
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  return `${hex(groups.slice(0, start))}::${hex(groups.slice(end))}`;
}

/** Go's IPNet.String(): the network's address as stored (not masked again) and its prefix length. */
export function netString(n: IPNet): string {
  const nm = networkAndMask(n);
  if (!nm) return '<nil>';
  const ones = maskLength(nm.mask);
  return `${ipString(nm.ip)}/${ones < 0 ? nm.mask.map((b) => b.toString(16).padStart(2, '0')).join('') : ones}`;
}

/** Go's net.IP.DefaultMask: the classful mask of an IPv4 address (A: /8, B: /16, otherwise /24). */
export function defaultMask(ip4: IP): IP {
  const first = ip4[0] ?? 0;
  return cidrMask(first < 0x80 ? 8 : first < 0xc0 ? 16 : 24, 32);
}

/** Returns the address as one unsigned integer. */
export function toBig(bytes: IP): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

/** Returns `length` bytes of an unsigned integer: an address. */
export function fromBig(n: bigint, length: number): IP {
  return Array.from({ length }, (_, i) => Number((n >> BigInt(8 * (length - 1 - i))) & 0xffn));
}

/** Go's bytes.Compare. */
export function compareBytes(a: IP, b: IP): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.length - b.length);
}
