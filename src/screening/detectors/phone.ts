import type { Detector, TextSpan } from '../detector';
import { callingCode } from '../validators/calling-codes';

// Where a phone number may be: an optional "+" or "(", then eight digits with at most three separator
// characters (space, dot, dash, parentheses) between consecutive digits. Every accepted format has at least
// eight digits, so runs with fewer (times, short dates, amounts) are never looked at. The repetition is
// "digit, then up to three separators", which can be read one way only.
const RUN_START = /[+(]?(?:\d[ ().\-\u00a0]{0,3}){7}\d/g;
// The whole run from that start, at most 40 characters. Runs are handled once each (the scan resumes after
// the run) and everything after works on at most 40 characters and 10 digit groups: linear in the text.
const RUN = /\+?[\d ().\-\u00a0]{1,40}/y;
const MAX_GROUPS = 10;
// An ungrouped number counts only right after a phone label: "phone: 4155552671", "Tel +49301234567".
const LABEL_BEFORE =
  /(?<![A-Za-z])(?:(?:tele)?phone|tel|mobile|cell|fax|whatsapp)(?:\s?(?:no\.?|number|#))?\s{0,2}[:=]?\s{0,2}$/i;

interface Group {
  digits: string;
  /** Offset of the group's first character, including an opening parenthesis. */
  start: number;
  /** Offset just past the group's last digit, including a closing parenthesis. */
  end: number;
  paren: boolean;
  /** The separator before the group contained a space (a number may start there). */
  afterSpace: boolean;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWordChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

// Characters glued to a following number in versions, paths, ids, amounts and times: + . / # = @ $ % & - \ ~ ^ *
const GLUE = new Set('+./#=@$%&-\\~^*€£'.split('').map((c) => c.charCodeAt(0)));

/** Whether a number may start at `at`: not inside a word, number, path, version or identifier. */
function startsCleanly(text: string, at: number): boolean {
  if (at === 0) return true;
  const c = text.charCodeAt(at - 1);
  if (isWordChar(c) || GLUE.has(c)) return false;
  // "tel:" and "Phone:" are fine, "12:30" is a time.
  return c !== 58 || at < 2 || !isDigit(text.charCodeAt(at - 2));
}

/** Splits a run into digit groups, stopping at a separator no phone number uses. */
function groupsOf(text: string, from: number, to: number): Group[] {
  const groups: Group[] = [];
  let i = text.charCodeAt(from) === 43 ? from + 1 : from;
  while (i < to && groups.length < MAX_GROUPS) {
    const sepStart = i;
    let space = false;
    while (i < to && !isDigit(text.charCodeAt(i))) {
      const c = text.charCodeAt(i++);
      if (c === 32 || c === 0xa0) space = true;
    }
    if (i >= to || i - sepStart > 3) break;
    const open = i > sepStart && text.charCodeAt(i - 1) === 40;
    let end = i;
    while (end < to && isDigit(text.charCodeAt(end))) end++;
    const paren = open && text.charCodeAt(end) === 41;
    if (open && !paren) break;
    groups.push({
      digits: text.slice(i, end),
      start: open ? i - 1 : i,
      end: paren ? end + 1 : end,
      paren,
      afterSpace: space,
    });
    i = paren ? end + 1 : end;
  }
  return groups;
}

/** North American numbering plan: area and exchange codes start with 2–9, and the area is not an N11 code. */
function nanpValid(ten: string): boolean {
  const n11 = ten[1] === '1' && ten[2] === '1';
  return ten[0] !== '0' && ten[0] !== '1' && ten[3] !== '0' && ten[3] !== '1' && !n11;
}

/** Whether an international number (digits after "+" or "00") is plausible: known code, E.164 length. */
function internationalValid(digits: string, codeGroup: string | undefined): boolean {
  const n = digits.length;
  if (n < 8 || n > 15) return false;
  const cc = callingCode(digits);
  if (cc === undefined) return false;
  // The code stands alone ("+44 20 …") unless the number is written without separators ("+442079460958").
  if (codeGroup !== undefined && codeGroup !== cc) return false;
  if (cc === '1') return n === 11 && nanpValid(digits.slice(1));
  return n - cc.length >= 6;
}

/** Whether groups[s, e) form a phone number in a format people write; `plus` when a "+" precedes group s. */
function valid(groups: readonly Group[], s: number, e: number, plus: boolean): boolean {
  // "+44 (0)20 …": the parenthesised trunk zero is not dialled internationally.
  const kept: Group[] = [];
  for (let k = s; k < e; k++) {
    const g = groups[k] as Group;
    if (!(plus && k === s + 1 && g.paren && g.digits === '0')) kept.push(g);
  }
  let digits = '';
  for (const g of kept) digits += g.digits;
  const first = (kept[0] as Group).digits;
  if (plus) return internationalValid(digits, kept.length > 1 ? first : undefined);
  if (digits.startsWith('00'))
    return internationalValid(digits.slice(2), kept.length > 1 ? first.slice(2) : undefined);
  if (digits[0] === '0') {
    // Trunk-prefixed national numbers (UK 020 7946 0958, DE 030 1234567, FR 01 23 45 67 89, AU (02) …):
    // 10–11 digits in at least two groups of two or more, the area-code group at most five long.
    return (
      (digits.length === 10 || digits.length === 11) &&
      kept.length >= 2 &&
      kept.every((g) => g.digits.length >= 2) &&
      first.length <= 5
    );
  }
  // North American numbers must be grouped 3-3-4 (optionally after a country code 1): a bare run of ten
  // digits is as likely an id or a timestamp.
  const shape = kept.map((g) => g.digits.length).join(',');
  if (shape === '3,3,4') return nanpValid(digits);
  if (shape === '1,3,3,4' && digits[0] === '1') return nanpValid(digits.slice(1));
  return false;
}

/** Whether an ungrouped number right after a phone label has a valid length and prefix. */
function labelledValid(digits: string, plus: boolean): boolean {
  if (plus) return internationalValid(digits, undefined);
  if (digits.startsWith('00')) return internationalValid(digits.slice(2), undefined);
  if (digits[0] === '0') return digits.length === 10 || digits.length === 11;
  if (digits.length === 11 && digits[0] === '1') return nanpValid(digits.slice(1));
  return digits.length === 10 && nanpValid(digits);
}

/**
 * Whether groups[s, e) sit inside a longer sequence: the group before or after repeats the separator and
 * length of its neighbour, as in the byte dump "00 00 00 01 23 45 67 89 ab".
 */
function inSequence(text: string, groups: readonly Group[], s: number, e: number): boolean {
  const first = groups[s] as Group;
  const second = groups[s + 1];
  if (second === undefined || e - s < 2) return false;
  const separator = text.slice(first.end, second.start);
  const repeats = (a: Group | undefined, b: Group | undefined): boolean =>
    a !== undefined &&
    b !== undefined &&
    !a.paren &&
    !b.paren &&
    a.digits.length === b.digits.length &&
    text.slice(a.end, b.start) === separator;
  return repeats(groups[e - 1], groups[e]) || (s > 0 && repeats(groups[s - 1], first));
}

/** Reports the phone numbers in one run: the longest valid groups starting at the run or after a space. */
function scanRun(text: string, from: number, groups: readonly Group[], out: TextSpan[]): void {
  const plus = text.charCodeAt(from) === 43;
  // Digits before each group, so lengths no format has are skipped without building strings.
  const before = [0];
  for (const g of groups) before.push((before[before.length - 1] as number) + g.digits.length);
  let s = 0;
  while (s < groups.length) {
    let found = -1;
    if (s === 0 || (groups[s] as Group).afterSpace) {
      const startPlus = plus && s === 0;
      const min = startPlus ? 8 : 10;
      for (let e = groups.length; e > s; e--) {
        const n = (before[e] as number) - (before[s] as number);
        if (n >= min && n <= 17 && valid(groups, s, e, startPlus)) {
          found = e;
          break;
        }
      }
    }
    if (found === -1) {
      s++;
      continue;
    }
    // "01 02 03 04 05 06 07 08" (a byte dump) has phone-shaped parts; a number is not preceded or followed
    // by more groups of the same separator and size.
    if (!inSequence(text, groups, s, found)) {
      out.push({
        start: s === 0 ? from : (groups[s] as Group).start,
        end: (groups[found - 1] as Group).end,
        class: 'phone',
      });
    }
    s = found;
  }
}

/**
 * Detects phone numbers: international (+CC or 00CC, a known calling code, 8–15 digits), North American
 * (grouped 3-3-4, valid area and exchange codes), trunk-0 national formats, and ungrouped numbers right after
 * a phone label. Dates, times, ISBNs, versions, amounts, ids and bare digit runs are not phone numbers: they
 * fail the grouping, length or start rules.
 */
export const phoneDetector: Detector = {
  name: 'phone',
  detect(text: string, out: TextSpan[]): void {
    RUN_START.lastIndex = 0;
    for (let m = RUN_START.exec(text); m !== null; m = RUN_START.exec(text)) {
      const from = m.index;
      RUN.lastIndex = from;
      const to = from + ((RUN.exec(text) ?? m)[0] as string).length;
      RUN_START.lastIndex = Math.max(to, from + m[0].length);
      // A run glued to a word on either side ("ID 415-555-2671x", "v1.2.3") is not a phone number.
      if (!startsCleanly(text, from) || (isDigit(text.charCodeAt(to - 1)) && isWordChar(text.charCodeAt(to))))
        continue;
      const groups = groupsOf(text, from, to);
      if (groups.length === 1) {
        const g = groups[0] as Group;
        const plus = text.charCodeAt(from) === 43;
        if (
          !g.paren &&
          labelledValid(g.digits, plus) &&
          LABEL_BEFORE.test(text.slice(Math.max(0, from - 24), from))
        ) {
          out.push({ start: from, end: g.end, class: 'phone' });
          continue;
        }
      }
      if (groups.length > 0) scanRun(text, from, groups, out);
    }
  },
};
