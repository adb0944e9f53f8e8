import type { Detector, TextSpan } from '../detector';
import {
  isCallingCode,
  ParseBudget,
  validGroupedNational,
  validInternational,
  possibleLabelledNational,
  validChineseMobile,
  validLabelledNational,
  validTrunkNational,
} from '../validators/phone-number';
import { luhnValid } from '../validators/luhn';
import { normalise } from '../normalise';

// Where a phone number may be: an optional "+" or "(", then eight digits with at most three separator
// characters (space, dot, dash, parentheses) between consecutive digits. Every accepted format has at least
// eight digits, so runs with fewer (times, short dates, amounts) are never looked at. The repetition is
// "digit, then up to three separators", which can be read one way only.
const RUN_START = /[+(]?(?:\d[ ().\-\u00a0]{0,3}){7}\d/g;
// The whole run from that start, at most 40 characters. Runs are handled once each (the scan resumes after
// the run) and everything after works on at most 40 characters and 10 digit groups: linear in the text.
const RUN = /\+?[\d ().\-\u00a0]{1,40}/y;
const MAX_GROUPS = 10;
// An ungrouped number counts only after a phone label: "phone: 4155552671", "Tel +49301234567", and in English
// prose a few linking words after it: "my phone number is 4155552671", "call me at 4155552671", "text me on …".
// The labels of the largest locales: English, German, French, Spanish, Portuguese, Italian, Dutch, Polish,
// Turkish, Indonesian, Vietnamese, Russian and Ukrainian, Chinese, Japanese, Korean, Persian, Arabic, Thai,
// Hindi. Detectors see normalised text, where some Cyrillic letters are folded to their Latin look-alikes ("тел"
// is "тeл" there) and NFKC splits Devanagari's "फ़" into "फ" and a nukta, so these labels are written into the
// pattern as normalisation leaves them.
const NORMALISED_LABELS = ['телефон', 'тел', 'моб', 'फ़ोन', 'फोन', 'मोबाइल', 'दूरभाष'].flatMap((word) =>
  [word, word[0]!.toUpperCase() + word.slice(1), word.toUpperCase()].map((form) => normalise(form).text),
);
// The label as people write it in forms, tables and data too: "Ph. No.", "Phone (M):", "Mobile No - ",
// "phone_number: ", "mobileNumber=", JSON's "phone": "…" and a table's "| Mobile | …".
const LABEL_BEFORE = new RegExp(
  `(?<![A-Za-z])(?:(?:tele)?phone|ph|tel|mobile|mob|cell|fax|whatsapp|call|dial|ring|text|sms|reach|contact|telefon|handy|t[ée]l[ée]phone|portable|tel[ée]fono|m[óo]vil|celular|telefone|telemovel|cellulare|telefoon|mobiel|telepon|hp|cep|gsm|[đd]i[ệe]n tho[ạa]i|sđt|${NORMALISED_LABELS.join('|')}|电话|電話|手机|手機|携帯|전화|휴대폰|تلفن|موبایل|هاتف|جوال|โทร)\\.?(?:\\s?\\([A-Za-z]{1,8}\\))?(?:[\\s_-]?(?:no\\.?|nr\\.?|number|num[ée]ro|#|号码|番号|${normalise('नंबर').text}|${normalise('नम्बर').text}))?(?:\\s(?:me|us|him|her|them|is|was|at|on|via|under|number|no\\.?)){0,3}\\.?["']?\\s{0,2}[:=：|-]?\\s{0,2}["']?$`,
  'i',
);
// A phone label in parentheses right after the number: "9876501234 (mobile)", "020 7946 0958 [cell]".
const LABEL_AFTER = /\s{0,2}[([](?:(?:tele)?phone|ph|tel|mobile|mob|cell|fax|whatsapp|landline)[)\]]/iy;
// A label that names the number as something else: "Order number: 13812345678" is an order (an outside
// evaluation: 6.7% of such order numbers were read as Chinese mobiles). Only a phone label before it wins.
// Also as a JSON or YAML key ("order_id": "…"), a table cell (| order | …) and in prose ("order number is …").
const ID_LABEL_BEFORE =
  /(?<![A-Za-z])(?:order|invoice|tracking|shipment|ref(?:erence)?|transaction|txn|ticket|case|booking|confirmation|reservation|sku|serial|policy|claim|batch|build|job|request)(?:[\s_-]?(?:no\.?|nr\.?|number|num|#|id|code))?["']?(?:\s(?:is|was))?\s{0,2}[:#=|]?\s{0,2}["']?$/i;
// An extension after the number: "x962", " ext. 12", " extension 4", " #204", ", poste 628", " доб. 12".
const EXTENSION = new RegExp(
  `,? {0,2}(?:x|ext\\.?|extn\\.?|extension|poste|${normalise('доб').text}\\.?|#) {0,2}\\d{1,6}(?!\\d)`,
  'iy',
);

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
  // "phone=+91 98896 51605", "tel=0761535083": an assignment to a phone name.
  if (c === 61) return LABEL_BEFORE.test(text.slice(Math.max(0, at - 25), at - 1));
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

/** Groups[s, e) as dialled: "+44 (0)20 …": the parenthesised trunk zero after a "+" is not dialled internationally. */
function dialledGroups(groups: readonly Group[], s: number, e: number, plus: boolean): Group[] {
  const kept: Group[] = [];
  for (let k = s; k < e; k++) {
    const g = groups[k] as Group;
    if (!(plus && k === s + 1 && g.paren && g.digits === '0')) kept.push(g);
  }
  return kept;
}

/**
 * Whether digits with their country code ("+", or "00") are a number: "+44306 999 0379", "+49-30-1234567",
 * "0041 79 703 10 13", in any grouping, the number decides. Undefined when the digits carry no country code.
 */
function internationalValid(digits: string, plus: boolean, budget: ParseBudget): boolean | undefined {
  if (plus) return validInternational(digits, budget);
  if (digits.startsWith('00')) return validInternational(digits.slice(2), budget);
  return undefined;
}

/**
 * Whether a number dialled with "00" shows its country code apart, as people write one: "00 44 20 …", "0044 20
 * 7946 0958". Without a "+", a zero-padded id ("0013321234567", "001332-1234567", a Korean RRN of someone born in
 * 2000) would otherwise read as "+1 332 …"; after a phone label any grouping still counts (labelledNumber).
 */
function dialPrefixApart(kept: readonly Group[]): boolean {
  const first = (kept[0] as Group).digits;
  return kept.length > 1 && (first === '00' || isCallingCode(first.slice(2)));
}

/** Whether groups[s, e) form a phone number in a format people write; `plus` when a "+" precedes group s. */
function valid(
  text: string,
  groups: readonly Group[],
  s: number,
  e: number,
  plus: boolean,
  budget: ParseBudget,
): boolean {
  const kept = dialledGroups(groups, s, e, plus);
  let digits = '';
  for (const g of kept) digits += g.digits;
  if (!plus && digits.startsWith('00') && !dialPrefixApart(kept)) return false;
  const international = internationalValid(digits, plus, budget);
  if (international !== undefined) return international;
  // North American numbers grouped 3-3-4 (optionally after a 1): valid area and exchange codes are enough,
  // the grouping is the evidence (an unassigned area code is still somebody's number to a reader).
  const lengths = kept.map((g) => g.digits.length);
  const shape = lengths.join(',');
  if (shape === '3,3,4' && digits[0] !== '0' && nanpValid(digits)) return true;
  if (shape === '1,3,3,4' && digits[0] === '1' && nanpValid(digits.slice(1))) return true;
  // "123-45-6789", "078-05-1121": a US social security number's grouping, not a phone's.
  if (shape === '3,2,4') return false;
  const first = kept[0] as Group;
  const second = kept[1];
  if (digits[0] === '0' || (digits[0] === '8' && second?.paren === true)) {
    // Trunk-prefixed national numbers (UK 020 7946 0958, RU 8 (495) 123-45-67, FR 01 23 45 67 89), valid in
    // one of the countries. Grouped: an area code of at most six digits (IN 094194 48421), then groups of two or more (an ISBN
    // "0-306-40615-2" ends in one). One run: ten or eleven digits ("0761535083"; shorter and longer runs are as
    // often ids), not wrapped whole in parentheses ("build 2024.04.30.91 (0436041819)" is a build id).
    if (kept.length === 1)
      return !first.paren && digits.length >= 10 && digits.length <= 11 && validTrunkNational(digits, budget);
    // The trunk zero may stand apart before the area code, with or without parentheses: "0 (532) 123-4567",
    // "0 532 123 45 67" (Türkiye writes both). Apart by a space: "0-306-40615-2" is an ISBN. Without
    // parentheses, only before what is a number grouped as its country writes it ("532 123 45 67"): lists and
    // arrays start at zero too ("[0 128 256 64 32]"), and most are some country's trunk-prefixed number.
    const trunkApart =
      first.digits === '0' &&
      second !== undefined &&
      second.afterSpace &&
      second.digits.length <= 5 &&
      validGroupedNational(digits.slice(1), lengths.slice(1), budget);
    const areaOk =
      first.digits.length <= 6 && (first.digits.length >= 2 || second?.paren === true || trunkApart);
    return areaOk && kept.slice(1).every((g) => g.digits.length >= 2) && validTrunkNational(digits, budget);
  }
  // Ungrouped without a prefix: only a Chinese mobile, the one national form written that way everywhere.
  if (kept.length === 1) return !first.paren && validChineseMobile(digits, budget);
  // Without a prefix, only a grouping the country itself uses (CN 138 0013 8000, BR (11) 91234-5678), with
  // spaces, dashes or parentheses: dotted groups are coordinates, versions and addresses, 3-2-4 is a US SSN.
  // "2024-0042-1187": a year first is an invoice, ticket or order number.
  if (first.digits.length === 4 && /^(?:19|20)/.test(first.digits)) return false;
  for (let k = 1; k < kept.length; k++)
    if (text.slice((kept[k - 1] as Group).end, (kept[k] as Group).start).includes('.')) return false;
  return validGroupedNational(digits, lengths, budget);
}

/** Whether a run of 13–19 digits not led by "+" passes the Luhn check: a card number, not a phone. */
function cardShaped(text: string, from: number, groups: readonly Group[]): boolean {
  if (text.charCodeAt(from) === 43) return false;
  let digits = '';
  for (const g of groups) digits += g.digits;
  return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
}

/**
 * Whether a whole run right after a phone label is a number: one of a possible length for its country code
 * ("+", "00"), a North American one, or a national one of a length some country's numbers have. Ungrouped, it
 * must also be valid in one of the countries: one digit run after "call" is as often a count or an id.
 */
function labelledNumber(text: string, from: number, groups: readonly Group[], budget: ParseBudget): boolean {
  const plus = text.charCodeAt(from) === 43;
  let digits = '';
  for (const g of dialledGroups(groups, 0, groups.length, plus)) digits += g.digits;
  const international = internationalValid(digits, plus, budget);
  if (international !== undefined) return international;
  if (digits.length === 11 && digits[0] === '1' && nanpValid(digits.slice(1))) return true;
  if (digits.length === 10 && nanpValid(digits)) return true;
  if (groups.length === 1) return !(groups[0] as Group).paren && validLabelledNational(digits, budget);
  return possibleLabelledNational(digits);
}

/**
 * Whether groups s, s+1, s+2 are a date: day.month.year, month/day/year or year-month-day, with one separator
 * ("17.06.2024", "06/17/2024", "2024-06-17"). A phone number never starts there.
 */
function dateAt(text: string, groups: readonly Group[], s: number): boolean {
  const [a, b, c] = [groups[s], groups[s + 1], groups[s + 2]];
  if (a === undefined || b === undefined || c === undefined || b.digits.length > 2) return false;
  const sep = text.slice(a.end, b.start);
  if (!/^[./-]$/.test(sep) || text.slice(b.end, c.start) !== sep) return false;
  const [x, y, z] = [Number(a.digits), Number(b.digits), Number(c.digits)];
  if (a.digits.length === 4) return x >= 1900 && x <= 2099 && y >= 1 && y <= 12 && z >= 1 && z <= 31;
  return (
    a.digits.length <= 2 &&
    b.digits.length <= 2 &&
    (c.digits.length === 4 || c.digits.length === 2) &&
    x >= 1 &&
    y >= 1 &&
    ((x <= 31 && y <= 12) || (x <= 12 && y <= 31))
  );
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
function scanRun(
  text: string,
  from: number,
  groups: readonly Group[],
  out: TextSpan[],
  budget: ParseBudget,
): void {
  const plus = text.charCodeAt(from) === 43;
  // Digits before each group, so lengths no format has are skipped without building strings.
  const before = [0];
  for (const g of groups) before.push((before[before.length - 1] as number) + g.digits.length);
  let s = 0;
  // Where the groups not yet read as a number or a date begin.
  let resumed = 0;
  while (s < groups.length) {
    if (dateAt(text, groups, s)) {
      s += 3;
      resumed = s;
      continue;
    }
    let found = -1;
    if ((s === 0 || (groups[s] as Group).afterSpace) && (s === resumed || marksItsStart(groups, s))) {
      const startPlus = plus && s === 0;
      const min = startPlus ? 8 : 9;
      for (let e = groups.length; e > s; e--) {
        const n = (before[e] as number) - (before[s] as number);
        if (n >= min && n <= 17 && valid(text, groups, s, e, startPlus, budget)) {
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
        end: withExtension(text, (groups[found - 1] as Group).end),
        class: 'phone',
      });
    }
    s = found;
    resumed = s;
  }
}

/**
 * Whether the number at group s marks its own start: a prefix (a trunk "0", "00", Russia's "8 (…)") or an area
 * code in parentheses, so it may follow other digits of its run. "51 824 753 556" (an Australian ABN) holds "824
 * 753 556", grouped as a Polish mobile is, and "51 824 753 5564" holds a North American 3-3-4; without such a mark
 * a number starts its run, or follows a number or a date.
 */
function marksItsStart(groups: readonly Group[], s: number): boolean {
  const group = groups[s] as Group;
  return group.paren || group.digits[0] === '0' || (group.digits[0] === '8' && groups[s + 1]?.paren === true);
}

// An amount: a decimal part after the run ("699 112 993,58"), or a currency sign or code next to it.
const DECIMAL_AFTER = /[.,]\d/y;
const CURRENCY_AFTER = /\s?(?:[€$£¥₹₽₺₩]|(?:EUR|USD|GBP|JPY|CNY|RUB|INR|BRL|TRY|KRW)\b)/y;
const CURRENCY_BEFORE = /(?:[€$£¥₹₽₺₩]|\b(?:EUR|USD|GBP|JPY|CNY|RUB|INR|BRL|TRY|KRW|R\$))\s?$/;

/** Whether the run [from, to) is a sum of money. */
function amountAround(text: string, from: number, to: number): boolean {
  let end = to;
  while (end > from && !isDigit(text.charCodeAt(end - 1))) end--;
  DECIMAL_AFTER.lastIndex = end;
  CURRENCY_AFTER.lastIndex = end;
  if (DECIMAL_AFTER.test(text) || CURRENCY_AFTER.test(text)) return true;
  return CURRENCY_BEFORE.test(text.slice(Math.max(0, from - 5), from));
}

/** Whether a phone label names the run at `from`: before it, or in parentheses right after it. */
function labelled(text: string, from: number, groups: readonly Group[]): boolean {
  if (LABEL_BEFORE.test(text.slice(Math.max(0, from - 40), from))) return true;
  LABEL_AFTER.lastIndex = (groups[groups.length - 1] as Group).end;
  return LABEL_AFTER.test(text);
}

/** Returns the end of the number at `end`, past an extension that follows it. */
function withExtension(text: string, end: number): number {
  EXTENSION.lastIndex = end;
  return EXTENSION.test(text) ? EXTENSION.lastIndex : end;
}

const budget = new ParseBudget();

/**
 * Detects phone numbers. A linear scan finds runs of at least eight digits with phone separators; only those
 * reach the validators (libphonenumber's metadata, see validators/phone-number.ts), so text without such runs
 * costs one regex pass. Reported:
 * - international numbers (+CC or 00CC) in any grouping, valid for their country;
 * - North American numbers grouped 3-3-4 with valid area and exchange codes;
 * - trunk-prefixed national numbers (0…, Russia's 8…), grouped or as one run, valid in one of 33 countries;
 * - national numbers without a prefix, when valid in one of them and grouped as that country writes them;
 * - an ungrouped number right after a phone label in one of the major languages;
 * with an extension that follows ("x962", "ext. 12"). Not reported: dates, times, versions, amounts, ids,
 * order numbers, UUIDs, hashes, card numbers and IP addresses; they fail the start, grouping, length, date or
 * validity rules (see docs/screening.md).
 */
export const phoneDetector: Detector = {
  name: 'phone',
  detect(text: string, out: TextSpan[]): void {
    budget.reset();
    RUN_START.lastIndex = 0;
    for (let m = RUN_START.exec(text); m !== null; m = RUN_START.exec(text)) {
      const from = m.index;
      RUN.lastIndex = from;
      const to = from + ((RUN.exec(text) ?? m)[0] as string).length;
      RUN_START.lastIndex = Math.max(to, from + m[0].length);
      // A run glued to a word on either side ("ID 415-555-2671a", "v1.2.3") is not a phone number, unless the
      // word is an extension ("262-456-9667x962").
      if (!startsCleanly(text, from)) continue;
      if (
        isDigit(text.charCodeAt(to - 1)) &&
        isWordChar(text.charCodeAt(to)) &&
        withExtension(text, to) === to
      )
        continue;
      if (amountAround(text, from, to)) continue;
      const groups = groupsOf(text, from, to);
      if (groups.length > 0 && !dateAt(text, groups, 0) && labelled(text, from, groups)) {
        if (labelledNumber(text, from, groups, budget)) {
          out.push({
            start: from,
            end: withExtension(text, (groups[groups.length - 1] as Group).end),
            class: 'phone',
          });
          continue;
        }
      }
      // Only a bare run: "+", "(" or a grouping make it a phone whatever the label says ("Reference: +44 20 …").
      const bare = groups.length === 1 && isDigit(text.charCodeAt(from));
      if (bare && ID_LABEL_BEFORE.test(text.slice(Math.max(0, from - 40), from))) continue;
      if (groups.length > 0 && !cardShaped(text, from, groups)) scanRun(text, from, groups, out, budget);
    }
  },
};
