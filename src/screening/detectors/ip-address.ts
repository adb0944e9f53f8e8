import { isIPv6 } from 'node:net';
import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// Four decimal octets, not part of a longer dotted sequence (OIDs, 4-part versions with a 5th part), a word
// or an IPv6 address. The octet alternatives are fixed-width, so each start costs a bounded number of steps.
const V4 = new RegExp(`(?<![\\w.:-])${OCTET}(?:\\.${OCTET}){3}(?![\\w-]|\\.\\d)`, 'g');
// IPv6: anchored on the literal ":" (the hex group before it is found by walking back at most four
// characters); colon-separated groups of at most four hex digits, at most eight of them. Node's isIPv6 then
// decides, so the regex only has to be loose and linear.
const V6_TAIL = /:[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,7}(?![\w:])/g;
// "version 1.2.3.4", "v1.0.0.0", "firmware 2.0.0.1", JSON's "version": "1.2.3.4" and "v8": "9.4.146.24":
// four-part version numbers, not addresses.
const VERSION_BEFORE =
  /(?:version|ver\.?|release|build|firmware|fw|driver|kernel|sdk|v\d{0,2})["']?\s{0,2}[:=]?\s{0,2}["']?$/i;

/**
 * Returns whether a dotted IPv4 address is publicly routable-looking: private (RFC 1918), loopback,
 * link-local, carrier-grade NAT, "this network", IETF protocol assignments, benchmarking, multicast,
 * reserved and broadcast addresses are infrastructure, not personal data. Documentation ranges (TEST-NET)
 * are reported, like example.com addresses, so test data behaves like real data.
 */
function publicV4(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

/** Same policy for IPv6: unspecified, loopback, link-local, unique-local, multicast and mapped v4 are not reported. */
function publicV6(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === '::' || lower === '::1' || lower.startsWith('::ffff:')) return false;
  const head = lower.startsWith('::') ? 0 : parseInt(lower.slice(0, lower.indexOf(':')), 16);
  if (head === 0) return false;
  if ((head & 0xffc0) === 0xfe80 || (head & 0xfe00) === 0xfc00 || (head & 0xff00) === 0xff00) return false;
  return true;
}

/** Detects public IPv4 and IPv6 addresses (see publicV4 and publicV6 for what counts as public). */
export const ipAddressDetector: Detector = {
  name: 'ip-address',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(V4, text, (m) => {
      const dot = m[0].indexOf('.');
      const a = Number(m[0].slice(0, dot));
      const b = Number(m[0].slice(dot + 1, m[0].indexOf('.', dot + 1)));
      if (!publicV4(a, b)) return;
      if (VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 20), m.index))) return;
      out.push({ start: m.index, end: m.index + m[0].length, class: 'ip_address' });
    });
    eachMatch(V6_TAIL, text, (m) => {
      let start = m.index;
      while (start > m.index - 4 && start > 0 && isHex(text.charCodeAt(start - 1))) start--;
      const before = start > 0 ? text.charCodeAt(start - 1) : 32;
      if (isWordOrSep(before)) return;
      const end = m.index + m[0].length;
      const candidate = text.slice(start, end);
      // Needs a digit and six characters: "dead::beef" and C++'s "a::b" are valid IPv6 syntax but not
      // addresses anyone writes.
      if (candidate.length < 6 || !/\d/.test(candidate) || !isIPv6(candidate) || !publicV6(candidate)) return;
      out.push({ start, end, class: 'ip_address' });
    });
  },
};

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isWordOrSep(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c === 46
  );
}
