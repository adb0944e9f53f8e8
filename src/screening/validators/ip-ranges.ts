/**
 * Which IP addresses are publicly routable-looking, so personal data. Infrastructure ranges (private, loopback,
 * link-local, multicast, …) are not reported: they name a machine on somebody's own network, not a person.
 */

/**
 * Returns whether a dotted IPv4 address (first two octets) is publicly routable-looking: private (RFC 1918),
 * loopback, link-local, carrier-grade NAT, "this network", IETF protocol assignments, benchmarking, multicast,
 * reserved and broadcast addresses are infrastructure. Documentation ranges (TEST-NET) are reported, like
 * example.com addresses, so test data behaves like real data.
 */
export function publicV4(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

/**
 * Returns whether a valid IPv6 address (Node's isIPv6 said so) is public. An address that carries an IPv4
 * address (mapped `::ffff:a.b.c.d`, translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, or the old
 * compatible `::a.b.c.d`) is judged by that IPv4 address, whichever way it is written; otherwise unspecified,
 * loopback, other zero-prefixed, link-local, unique-local and multicast addresses are not public.
 */
export function publicV6(address: string): boolean {
  const g = groupsOf(address.toLowerCase());
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const carried =
    (zeros(0, 5) && g[5] === 0xffff) ||
    (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) ||
    (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) ||
    (zeros(0, 6) && address.includes('.'));
  if (carried) return publicV4(g[6]! >> 8, g[6]! & 0xff);
  const head = g[0]!;
  if (head === 0) return false;
  return !((head & 0xffc0) === 0xfe80 || (head & 0xfe00) === 0xfc00 || (head & 0xff00) === 0xff00);
}

/** The eight 16-bit groups of a valid IPv6 address in lower case, a dotted IPv4 tail read as two groups. */
function groupsOf(address: string): number[] {
  let text = address;
  const dot = text.indexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    const [a, b, c, d] = text
      .slice(colon + 1)
      .split('.')
      .map(Number) as [number, number, number, number];
    text = `${text.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').map((h) => parseInt(h, 16)) : [];
  const head = parse(left);
  const tail = parse(right);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
