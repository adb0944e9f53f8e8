import { BuiltinLimitError, type BuiltinTable, type EvaluationContext } from './builtin';
import { RegoSet } from './rego-value';
import { stringOperand } from './strings';
import {
  V4_PREFIX,
  parseIP,
  cidrMask,
  parseCIDR,
  to4,
  maskIP,
  maskLength,
  contains,
  ipString,
  netString,
  defaultMask,
  toBig,
  fromBig,
  compareBytes,
  type IP,
  type IPNet,
} from './go-net';

// Addresses and networks as Go's net package holds them (4 or 16 bytes), since OPA's answers follow from how
// net.IP and net.IPNet behave: an IPv4 network is 4 bytes, an IPv4 address 16 bytes (v4-mapped), and String(),
// Contains() and Mask() treat the two forms as Go does.
interface Range {
  first: IP;
  last: IP;
  network?: IPNet;
}

/**
 * The first and last address of a network as OPA's cidr merge computes them: IPv4 in v4-mapped form. A network
 * written as IPv6 but holding a v4-mapped address comes out 28 bytes long there; that is kept, since it decides
 * how the range sorts and merges.
 */
function addressRange(n: IPNet): Range {
  const masked = maskIP(n.ip, n.mask) ?? [];
  const widen = (ip: IP) => (to4(masked) ? [...V4_PREFIX, ...ip] : ip);
  const first = widen(masked);
  const last = widen([...masked]);
  n.mask.forEach((_, i) => {
    const at = 16 - i - 1;
    if (at >= last.length) throw new RangeError('address range out of bounds');
    last[at] = (last[at] ?? 0) | (~(n.mask[n.mask.length - i - 1] ?? 0) & 0xff);
  });
  return { first, last, network: n };
}

/** The address before `ip`, stopping at 0.0.0.0 and ::, as OPA's merge steps back. */
function previous(ip: IP): IP {
  const zero4 = [...V4_PREFIX, 0, 0, 0, 0];
  if (compareBytes(ip, zero4) === 0 || ip.every((b) => b === 0)) return ip;
  const bound = to4(ip) ? 12 : 0;
  const out = [...ip];
  for (let i = ip.length - 1, borrow = true; i >= bound && borrow; i--) {
    out[i] = ((ip[i] ?? 0) + 255) & 0xff;
    borrow = ip[i] === 0;
  }
  return out;
}

/** Returns the fewest CIDR blocks that cover first..last exactly, as OPA's RangeToCIDRs does. */
function rangeToNets(first: IP, last: IP): IPNet[] {
  const v4 = to4(first) !== undefined;
  if (first.length !== 16 || last.length !== 16 || (v4 && !to4(last))) {
    throw new RangeError('OPA fails on this range (it panics)');
  }
  const bits = v4 ? 32 : 128;
  const [lo, hi] = [toBig(v4 ? first.slice(12) : first), toBig(v4 ? last.slice(12) : last)];
  // OPA's spanning network is built from a big.Int's minimal bytes: one not starting with a non-zero byte is
  // misread there (it panics or treats the address as IPv4), so such a range is refused.
  let span = bits;
  while (span > 0 && (hi >> BigInt(bits - span)) << BigInt(bits - span) > lo) span--;
  const spanStart = (hi >> BigInt(bits - span)) << BigInt(bits - span);
  if (!v4 && spanStart !== 0n && spanStart >> 120n === 0n) throw new RangeError('OPA fails on this range');
  const nets: IPNet[] = [];
  for (let at = lo; at <= hi;) {
    let size = 0;
    while (size < bits && at % (1n << BigInt(size + 1)) === 0n && at + (1n << BigInt(size + 1)) - 1n <= hi)
      size++;
    const ip = v4 ? [...V4_PREFIX, ...fromBig(at, 4)] : fromBig(at, 16);
    nets.push({ ip, mask: cidrMask(bits - size, bits) });
    at += 1n << BigInt(size);
  }
  return nets;
}

/** Returns an element of net.cidr_merge's operand as OPA reads it: an IPv4 address takes its classful mask. */
function mergeElement(value: unknown): IPNet {
  const s = stringOperand(value);
  const ip = parseIP(s);
  if (!ip) return parseCIDR(s).net;
  const v4 = to4(ip);
  if (!v4) throw new RangeError('IPv6 invalid: needs prefix length');
  return { ip, mask: defaultMask(v4) };
}

/** The strings as the Rego set OPA answers. */
function setOf(values: string[]): RegoSet {
  return new RegoSet([...new Set(values)]);
}

function cidrMerge(_: EvaluationContext, addresses: unknown): RegoSet {
  if (!Array.isArray(addresses)) throw new TypeError('operand must be an array');
  const ranges = addresses.map((a) => addressRange(mergeElement(a)));
  ranges.sort((a, b) => compareBytes(a.last, b.last) || compareBytes(a.first, b.first));
  for (let i = ranges.length - 1; i > 0; i--) {
    const [before, current] = [ranges[i - 1], ranges[i]];
    if (!before || !current || compareBytes(previous(current.first), before.last) > 0) continue;
    const first = compareBytes(before.first, current.first) < 0 ? before.first : current.first;
    ranges.splice(i - 1, 2, { first, last: current.last });
  }
  return setOf(
    ranges.flatMap((r) => (r.network ? [r.network] : rangeToNets(r.first, r.last))).map(netString),
  );
}

/**
 * The most addresses net.cidr_expand lists. OPA lists any network (a /8 is 16M strings) until the query is
 * cancelled; a host builtin runs on the event loop and cannot be cancelled, so a larger network fails the
 * evaluation (a /18 takes about 80 ms).
 */
const MAX_EXPAND = 16_384;

function cidrExpand(_: EvaluationContext, cidr: unknown): RegoSet {
  const { ip, net } = parseCIDR(stringOperand(cidr));
  if (2 ** (8 * net.mask.length - maskLength(net.mask)) > MAX_EXPAND) {
    throw new BuiltinLimitError(`net.cidr_expand: more than ${MAX_EXPAND} addresses`);
  }
  const out: string[] = [];
  // As OPA: from the masked address, one up at a time, while the network contains it.
  for (let at = maskIP(ip, net.mask) ?? []; contains(net, at) && out.length <= MAX_EXPAND;) {
    out.push(ipString(at));
    at = fromBig(toBig(at) + 1n, at.length);
  }
  return setOf(out);
}

function cidrIsValid(_: EvaluationContext, cidr: unknown): boolean {
  try {
    parseCIDR(stringOperand(cidr));
    return true;
  } catch {
    return false;
  }
}

/** An address, or a network as its first and last address: what net.cidr_contains compares. */
interface Span {
  first: number[];
  last: number[];
}

function spanOf(text: unknown): Span {
  const s = stringOperand(text);
  const ip = parseIP(s);
  if (ip) return { first: ip, last: ip };
  const inner = parseCIDR(s).net;
  const bits = 8 * inner.mask.length;
  const hostBits = BigInt(bits - maskLength(inner.mask));
  return { first: inner.ip, last: fromBig(toBig(inner.ip) | ((1n << hostBits) - 1n), bits / 8) };
}

/** OPA's net.cidr_contains: whether the network holds the address, or all of the other network. */
function netContains(net: ReturnType<typeof parseCIDR>['net'], span: Span): boolean {
  return contains(net, span.first) && contains(net, span.last);
}

/**
 * The CIDRs of a cidr_contains_matches operand with their keys: a string keys itself, an array's elements
 * their index, an object's its key, a set's themselves.
 */
function matchTerms(operand: unknown): [string, unknown][] {
  const cidrOf = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
    throw new TypeError('element must be string or non-empty array');
  };
  if (typeof operand === 'string') return [[operand, operand]];
  if (operand instanceof RegoSet) return operand.items.map((v) => [cidrOf(v), v]);
  if (Array.isArray(operand)) return operand.map((v, i) => [cidrOf(v), i]);
  if (operand !== null && typeof operand === 'object') {
    return Object.entries(operand).map(([k, v]) => [cidrOf(v), k]);
  }
  return [];
}

// The most (network, address) pairs one call compares: 10 µs a pair would be a second.
const MAX_PAIRS = 100_000;

function cidrContainsMatches(_: EvaluationContext, cidrs: unknown, addresses: unknown): RegoSet {
  const nets = matchTerms(cidrs).map(([cidr, key]) => ({ net: parseCIDR(cidr).net, key }));
  const spans = matchTerms(addresses).map(([address, key]) => ({ span: spanOf(address), key }));
  if (nets.length * spans.length > MAX_PAIRS) {
    throw new BuiltinLimitError(`net.cidr_contains_matches: more than ${MAX_PAIRS} pairs`);
  }
  const found: unknown[] = [];
  for (const { net, key } of nets) {
    for (const { span, key: addressKey } of spans) if (netContains(net, span)) found.push([key, addressKey]);
  }
  return new RegoSet(found);
}

/**
 * Network builtins with Go's net.ParseCIDR rules (IPv4 and IPv6): `net.cidr_contains_matches`, `net.cidr_expand`,
 * `net.cidr_is_valid`, `net.cidr_merge`; sets answered as sets.
 */
export const netBuiltins: BuiltinTable = {
  'net.cidr_contains_matches': cidrContainsMatches,
  'net.cidr_expand': cidrExpand,
  'net.cidr_is_valid': cidrIsValid,
  'net.cidr_merge': cidrMerge,
};
