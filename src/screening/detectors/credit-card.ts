import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { ibanValid } from '../validators/iban-checksum';
import { luhnValid } from '../validators/luhn';

// A run of twelve digits or more, optionally separated by one or two spaces, a dash, dot, slash or no-break
// space. Each repetition is "optional separator, then one digit", which can only be read one way, and the
// lookarounds make a match cover a whole digit run (a run is never retried inside), so the work is linear. The run
// may be longer than a card: a card written with its expiry date and security code after it, or two cards in a row.
const CANDIDATE = /(?<![\d.+/-])\d(?:(?: {1,2}|[-./\u00a0])?\d){11,}(?!(?: {1,2}|[-./\u00a0])?\d)/g;
const SEPARATOR = / {1,2}|[-./\u00a0]/g;
const MAX_DIGITS = 19;
// The longest text one card can take: 19 digits and 18 separators of up to two characters.
const MAX_CARD_CHARS = MAX_DIGITS + 2 * (MAX_DIGITS - 1);
// What may stand between a card and the other digits of its run: a blank. A dash, dot or slash joins the digits
// into one thing (the last groups of a UUID, a dotted id, a path).
const BLANK = /^(?: {1,2}|\u00a0)$/;

interface Brand {
  prefixes: ReadonlyArray<readonly [number, number]>;
  lengths: readonly number[];
}

// Issuer identification number ranges (first digits) and the lengths each network publishes. Ranges are
// compared on a prefix of the same width as the bounds. Only numbers with one of these prefixes and lengths and
// a passing Luhn check are reported; a random digit run passes the three one time in a few hundred.
const BRANDS: readonly Brand[] = [
  { prefixes: [[4, 4]], lengths: [13, 16, 19] }, // Visa (Electron and V Pay share the range)
  {
    prefixes: [
      [51, 55],
      [2221, 2720],
    ],
    lengths: [16],
  }, // Mastercard
  {
    prefixes: [
      [34, 34],
      [37, 37],
    ],
    lengths: [15],
  }, // American Express
  {
    prefixes: [
      [6011, 6011],
      [644, 649],
      [65, 65],
    ],
    lengths: [16, 17, 18, 19],
  }, // Discover
  {
    prefixes: [
      [3528, 3589],
      [1800, 1800],
      [2131, 2131],
    ],
    lengths: [15, 16, 17, 18, 19],
  }, // JCB (1800 and 2131: its 15-digit numbers)
  // The rest of JCB's 35 block, from 16 digits (15-digit numbers from 35 are as often IMEIs): JCB issues from
  // 3528–3589, but test-data generators (Faker) draw from all of 35, and a Luhn-valid number there is a card
  // to anyone reading it.
  { prefixes: [[35, 35]], lengths: [16, 17, 18, 19] },
  {
    prefixes: [
      [300, 305],
      [3095, 3095],
      [36, 36],
      [38, 39],
    ],
    lengths: [14, 15, 16, 17, 18, 19],
  }, // Diners Club
  {
    prefixes: [
      [62, 62],
      [81, 81],
    ],
    lengths: [16, 17, 18, 19],
  }, // UnionPay
  { prefixes: [[2200, 2204]], lengths: [16, 17, 18, 19] }, // Mir
  {
    prefixes: [
      [5018, 5018],
      [5020, 5020],
      [5038, 5038],
      [5893, 5893],
      [6304, 6304],
      [6759, 6759],
      [6761, 6763],
      [56, 58],
      [6390, 6390],
    ],
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
  }, // Maestro (56–58 and 6390: ranges it issued from before the list narrowed, still in test data)
  {
    prefixes: [
      [60, 60],
      [65, 65],
      [81, 82],
      [508, 508],
      [353, 353],
      [356, 356],
    ],
    lengths: [16],
  }, // RuPay
  { prefixes: [[9792, 9792]], lengths: [16] }, // Troy
  {
    prefixes: [
      [506099, 506198],
      [650002, 650027],
      [507865, 507964],
    ],
    lengths: [16, 18, 19],
  }, // Verve
  {
    prefixes: [
      [401178, 401179],
      [431274, 431274],
      [438935, 438935],
      [451416, 451416],
      [457393, 457393],
      [504175, 504175],
      [506699, 506778],
      [509000, 509999],
      [627780, 627780],
      [636297, 636297],
      [636368, 636368],
      [650031, 650033],
      [650035, 650051],
      [650405, 650439],
      [650485, 650538],
      [650541, 650598],
      [650700, 650718],
      [650720, 650727],
      [650901, 650978],
      [651652, 651679],
      [655000, 655019],
      [655021, 655058],
    ],
    lengths: [16],
  }, // Elo
  { prefixes: [[1, 1]], lengths: [15] }, // UATP
  { prefixes: [[5019, 5019]], lengths: [16] }, // Dankort
  { prefixes: [[636, 636]], lengths: [16, 17, 18, 19] }, // InterPayment
  { prefixes: [[637, 639]], lengths: [16] }, // InstaPayment
];

function knownIssuer(digits: string): boolean {
  return BRANDS.some(
    (b) =>
      b.lengths.includes(digits.length) &&
      b.prefixes.some(([lo, hi]) => {
        const p = Number(digits.slice(0, String(lo).length));
        return p >= lo && p <= hi;
      }),
  );
}

// How people group card numbers: in fours (the last group shorter: 4-4-4-1 for 13 digits, 4-4-4-4-3 for 19),
// Amex 4-6-5, Diners 4-6-4, and in pairs. Reads widths[from..to] in place: the card search inside a long run
// asks this for every start, so it allocates nothing.
function usualLayout(widths: readonly number[], from = 0, to = widths.length - 1): boolean {
  const last = widths[to] ?? 0;
  let fours = true;
  let pairs = true;
  for (let k = from; k < to; k++) {
    fours &&= widths[k] === 4;
    pairs &&= widths[k] === 2;
  }
  if (fours && last >= 1 && last <= 4) return true;
  if (pairs && last <= 2) return true;
  return to - from === 2 && widths[from] === 4 && widths[from + 1] === 6 && (last === 5 || last === 4);
}

// Whether widths[from..to] can be the groups before the last of a usual layout: all fours, all pairs, or Amex and
// Diners' 4 and 6.
function usualHead(widths: readonly number[], from: number, to: number): boolean {
  if (to - from <= 1 && widths[from] === 4 && (to === from || widths[to] === 6)) return true;
  const w = widths[from];
  if (w !== 4 && w !== 2) return false;
  for (let k = from + 1; k <= to; k++) if (widths[k] !== w) return false;
  return true;
}

// Whether the text before twelve digits names them an account id: an ARN's account field or an "account" label.
function accountIdBefore(before: string): boolean {
  return (
    /arn:[\w-]+:[\w-]+:[\w-]*:$/.test(before) ||
    /\baccount(?:[\s_-]?(?:id|no\.?|number))?["']?\s{0,2}[:#=]?\s{0,2}["']?$/i.test(before)
  );
}

// A digest, commit id or hex identifier is at least 24 hexadecimal characters: 32 for MD5 and UUIDs written
// without dashes, 40 for SHA-1, 64 for SHA-256. One in 1,500 random ones holds a digit run that passes as a card.
const HEX_TOKEN_CHARS = 24;
const HEX_CHAR = /[0-9A-Fa-f]/;

// Whether the digits at [start, end) lie inside a hexadecimal token with a letter in it. Looks at most
// HEX_TOKEN_CHARS characters to each side, so a long hex text costs linear time however many candidates it holds.
function insideHexToken(text: string, start: number, end: number): boolean {
  let left = start;
  while (left > 0 && start - left < HEX_TOKEN_CHARS && HEX_CHAR.test(text[left - 1]!)) left--;
  let right = end;
  while (right < text.length && right - end < HEX_TOKEN_CHARS && HEX_CHAR.test(text[right]!)) right++;
  return right - left >= HEX_TOKEN_CHARS && (left < start || right > end);
}

const UUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;

// Whether the digits at [start, end) are part of a UUID (b53b5751-8007-4452-9d64-…: 5751-8007-4452-9 is a
// valid card in 4-4-4-1); one in a few ten thousand random UUIDs holds one. Reads only a UUID's length around it.
function insideUuid(text: string, start: number, end: number): boolean {
  const from = Math.max(0, start - 36);
  const window = text.slice(from, Math.min(text.length, end + 36));
  for (const m of window.matchAll(UUID)) {
    if (from + m.index <= start && from + m.index + m[0].length >= end) return true;
  }
  return false;
}

/**
 * Detects payment card numbers: a known issuer prefix and length, a passing Luhn check, and either no
 * separators or one separator used consistently in a usual grouping.
 */
export const creditCardDetector: Detector = {
  name: 'credit-card',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(CANDIDATE, text, (m) => {
      const raw = m[0];
      if (raw.length <= MAX_CARD_CHARS && cardAt(text, m.index, raw)) {
        out.push({ start: m.index, end: m.index + raw.length, class: 'credit_card' });
        return;
      }
      if (!mayHoldCards(raw)) return;
      // A run laid out as one number ("2600 0560 1001 6113 70", the tail of an IBAN) is one number, not a card.
      const groups = groupsOfRun(raw);
      if (oneNumber(groups)) return;
      const cards = cardsInRun(text, m.index, raw, groups);
      if (!onlyCardDetails(m.index, groups, cards)) return;
      for (const [start, end] of cards) out.push({ start, end, class: 'credit_card' });
    });
  },
};

/**
 * Returns whether a run that is not one card may hold one: it has a blank between two groups (where a card can
 * start or end) and is not uniform (one separator, equal groups: a table, a byte dump, where no card boundary can
 * be). One pass without allocation, so long adversarial runs cost little.
 */
function mayHoldCards(raw: string): boolean {
  let blank = false;
  let uniform = true;
  let sep = '';
  let firstWidth = -1;
  let width = 0;
  for (let i = 0; i < raw.length;) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      width++;
      i++;
      continue;
    }
    const here = c === 32 && raw.charCodeAt(i + 1) === 32 ? '  ' : raw[i]!;
    blank ||= c === 32 || c === 0xa0;
    if (firstWidth < 0) [firstWidth, sep] = [width, here];
    else if (here !== sep || width !== firstWidth) uniform = false;
    width = 0;
    i += here.length;
  }
  // Groups of twelve digits or more are numbers of their own, uniform or not.
  return blank && (!uniform || width !== firstWidth || firstWidth >= 12);
}

// What a card's line holds beside it: an expiry (month and year), a code, a year. Up to three such groups a card.
const MAX_DETAILS_PER_CARD = 3;
const MAX_DETAIL_DIGITS = 4;

/**
 * Returns whether the groups of a run outside its cards are few and short, as an expiry and a code are. A run that
 * holds a longer number or more groups beside a card-shaped one is a row of counters or a table (`rx_bytes 4532…
 * 482113`, `/proc/net/dev`), where one number in ten that starts as a card passes Luhn. `cards` are in run order.
 */
function onlyCardDetails(
  at: number,
  groups: readonly RunGroup[],
  cards: ReadonlyArray<[number, number]>,
): boolean {
  let others = 0;
  let k = 0;
  for (const g of groups) {
    const start = at + g.start;
    while (k < cards.length && cards[k]![1] <= start) k++;
    if (k < cards.length && cards[k]![0] <= start) continue;
    if (g.end - g.start > MAX_DETAIL_DIGITS || ++others > MAX_DETAILS_PER_CARD * cards.length) return false;
  }
  return true;
}

/** Returns whether a run's groups use one separator in a usual card layout, so read as one number whatever the digits. */
function oneNumber(groups: readonly RunGroup[]): boolean {
  const sep = groups[0]!.sep;
  for (let i = 1; i < groups.length - 1; i++) if (groups[i]!.sep !== sep) return false;
  return usualLayout(groups.map((g) => g.end - g.start));
}

/** Returns whether `raw`, found at `at` in `text`, is one card number as a whole. */
function cardAt(text: string, at: number, raw: string): boolean {
  const separators = raw.match(SEPARATOR);
  let digits = raw;
  if (separators !== null) {
    // One separator, used consistently, in a usual grouping or in pairs (1234 5678…, 12 34 56…).
    const sep = separators[0] as string;
    if (separators.some((x) => x !== sep)) return false;
    if (!usualLayout(raw.split(sep).map((g) => g.length))) return false;
    digits = raw.split(sep).join('');
  }
  if (digits.length > MAX_DIGITS) return false;
  // A letter may touch the number (cc4111…): the candidate starts at a digit, so "cc" stays outside it.
  // 15 digits from 35… are a JCB number or, as often, a phone's IMEI (TAC 35…): the label decides.
  if (digits.length === 15 && /imei/i.test(text.slice(Math.max(0, at - 12), at))) return false;
  if (!luhnValid(digits) || !knownIssuer(digits)) return false;
  // 9f3a…4539578763621486…e1: part of a digest or an id, not a number someone wrote down.
  if (separators === null && insideHexToken(text, at, at + raw.length)) return false;
  if (separators?.[0] === '-' && insideUuid(text, at, at + raw.length)) return false;
  // arn:aws:iam::572662666385:role/…, "AWS account 572662666385": an account id, twelve digits that may pass
  // as a Maestro number.
  if (raw.length === 12 && accountIdBefore(text.slice(Math.max(0, at - 80), at))) return false;
  // "fi8280144100517432": the letters before make it an IBAN (Finland's, Norway's and others are all digits).
  const country = text.slice(Math.max(0, at - 2), at);
  return !(/^[A-Za-z]{2}$/.test(country) && ibanValid((country + digits).toUpperCase()));
}

interface RunGroup {
  start: number;
  end: number;
  /** The separator after the group ('' for the last). */
  sep: string;
}

/** Returns the digit groups of a run, offsets relative to the run. */
function groupsOfRun(raw: string): RunGroup[] {
  const groups: RunGroup[] = [];
  let last = 0;
  SEPARATOR.lastIndex = 0;
  for (let s = SEPARATOR.exec(raw); s !== null; s = SEPARATOR.exec(raw)) {
    groups.push({ start: last, end: s.index, sep: s[0] });
    last = s.index + s[0].length;
  }
  groups.push({ start: last, end: raw.length, sep: '' });
  return groups;
}

/**
 * Returns the spans of the cards inside a run of digit groups that is not one card: "4111 1111 1111 1111 08/29
 * 123" (a card, its expiry and its code), two cards in a row. A card there starts and ends at a group boundary
 * where the run visibly changes, at a blank: the separator changes, the neighbouring group is not as wide as the
 * card's group at that end, or the card is a group of its own (written without separators). So a table of equal
 * groups ("1234 5678 9012 3456 7890") yields nothing. Each start tries at most MAX_DIGITS groups, so the work
 * stays linear in the run.
 */
function cardsInRun(
  text: string,
  at: number,
  raw: string,
  groups: readonly RunGroup[],
): Array<[number, number]> {
  const widths = groups.map((g) => g.end - g.start);
  const width = (i: number): number => widths[i]!;
  const blank = groups.map((g) => BLANK.test(g.sep));
  // A first group glued to a word ("RS35 2600 0560 …", an IBAN's head) makes the groups after it that word's.
  const glued = at > 0 && /[A-Za-z]/.test(text[at - 1]!);
  // Whether a card of groups i..j, inner separator `sep` ('' for one group), may start at i and end at j.
  const changeBefore = (i: number, sep: string, afterCard: boolean): boolean =>
    i === 0 ||
    ((i > 1 || !glued || sep === '') &&
      blank[i - 1]! &&
      (sep === '' || afterCard || groups[i - 1]!.sep !== sep || width(i - 1) !== width(i)));
  const changeAfter = (j: number, sep: string): boolean =>
    j === groups.length - 1 ||
    (blank[j]! && (sep === '' || groups[j]!.sep !== sep || width(j + 1) !== width(j)));
  const found: Array<[number, number]> = [];
  let taken = -1; // the group right after the last card found
  for (let i = 0; i < groups.length; i++) {
    let best = -1;
    for (let j = i, digits = 0; j < groups.length; j++) {
      digits += width(j);
      if (digits > MAX_DIGITS) break;
      // Stop as soon as groups i..j-1 can no longer head a usual layout (in a run of unequal groups, at once).
      if (j > i && (groups[j - 1]!.sep !== groups[i]!.sep || !usualHead(widths, i, j - 1))) break;
      const sep = j > i ? groups[i]!.sep : '';
      if (digits < 12 || !changeBefore(i, sep, i === taken) || !changeAfter(j, sep)) continue;
      if (j > i && !usualLayout(widths, i, j)) continue;
      if (cardAt(text, at + groups[i]!.start, raw.slice(groups[i]!.start, groups[j]!.end))) best = j;
    }
    if (best < 0) continue;
    found.push([at + groups[i]!.start, at + groups[best]!.end]);
    i = best;
    taken = best + 1;
  }
  return found;
}
