import { isIPv6 } from 'node:net';
import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { publicV4, publicV6 } from '../validators/ip-ranges';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// Four decimal octets, not part of a longer dotted sequence (OIDs, 4-part versions with a 5th part), a word
// or an IPv6 address. The octet alternatives are fixed-width, so each start costs a bounded number of steps.
const V4 = new RegExp(`(?<![\\w.:-])${OCTET}(?:\\.${OCTET}){3}(?![\\w-]|\\.\\d)`, 'g');
// IPv6: anchored on the literal ":" (the hex group before it is found by walking back at most four
// characters); colon-separated groups of at most four hex digits, at most eight of them, and the dotted IPv4
// address that may end one (`::ffff:203.0.113.9`, `64:ff9b::198.51.100.1`): without it the span would stop at
// the first dot and redaction would leave the rest of that address. Never followed by a dot and a digit, so a
// malformed tail (`2001:db8::256.1.1.1`) is no address at all. Node's isIPv6 then decides, so the regex only has
// to be loose and linear.
const V6_TAIL = /:[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,7}(?:(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g;
// What names a dotted number as something other than an address, right before it: a version word ("version
// 1.2.3.4", "v1.0.0.0", "firmware 2.0.0.1", JSON's "version": "1.2.3.4", "v8": "9.4.146.24", "appVersion=…") or
// a part of a document ("section 7.6.1.1", "§ 4.1.2.3", "clause 12.3.4.5", "table 3.1.2.4"), then "is" and
// earlier numbers of a list ("sections 7.6.1.1, 7.6.1.2 and 8.1.2.3"). Short words must start a word ("nav
// 8.8.8.8" is an address); the long ones may end a compound. "sec" needs its dot ("sec: 8.8.4.4" is a secondary
// DNS server). Only tried on a public-looking candidate, on at most NAMED_WINDOW characters before it.
const NAMED_BEFORE = new RegExp(
  '(?:(?:version|release|build|firmware|driver|kernel|revision)|(?<![a-z])(?:ver\\.?|fw|sdk|rev\\.?|patch|v\\d{0,2}|' +
    'section|sec\\.|clause|chapter|ch\\.|paragraph|para\\.?|article|art\\.|appendix|annex|table|fig(?:ure)?\\.?)|§{1,2})s?' +
    '["\']?(?:\\s(?:is|was|number|no\\.?))?\\s{0,2}[:=]?\\s{0,2}["\']?' +
    '(?:\\d{1,5}(?:\\.\\d{1,6}){1,5},?\\s{1,2}(?:(?:and|or|to|through)\\s{1,2}|[-–]\\s{0,2})?){0,4}$',
  'i',
);
const NAMED_WINDOW = 110;
// A product token before "/" may be this long: "Chrome/120.0.100.109", "AppleWebKit/537.36".
const MAX_PRODUCT = 40;

/** Detects public IPv4 and IPv6 addresses (see publicV4 and publicV6 for what counts as public). */
export const ipAddressDetector: Detector = {
  name: 'ip-address',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(V4, text, (m) => {
      const dot = m[0].indexOf('.');
      const a = Number(m[0].slice(0, dot));
      const b = Number(m[0].slice(dot + 1, m[0].indexOf('.', dot + 1)));
      if (!publicV4(a, b)) return;
      if (NAMED_BEFORE.test(text.slice(Math.max(0, m.index - NAMED_WINDOW), m.index))) return;
      if (afterProductToken(text, m.index)) return;
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

/**
 * Returns whether the number at `at` is the version of a product token ("Chrome/120.0.100.109", "nginx/1.2.3.4"
 * in a User-Agent or Server header): "/" right after a word that starts a token. A path segment
 * ("/hosts/34.201.10.3") or a URL ("http://34.201.10.3") is not a product token.
 */
function afterProductToken(text: string, at: number): boolean {
  if (at < 2 || text.charCodeAt(at - 1) !== 47) return false;
  let start = at - 1;
  const stop = Math.max(0, at - 1 - MAX_PRODUCT);
  while (start > stop && isTokenChar(text.charCodeAt(start - 1))) start--;
  if (start === at - 1 || !isLetter(text.charCodeAt(start))) return false;
  if (start === 0) return true;
  const before = text.charCodeAt(start - 1);
  return !isTokenChar(before) && before !== 47 && before !== 58;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isTokenChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46 || c === 43;
}
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isWordOrSep(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c === 46
  );
}
