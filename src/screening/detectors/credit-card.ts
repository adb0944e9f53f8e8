import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { luhnValid } from '../validators/luhn';

// 13–19 digits, optionally separated by single spaces or dashes. Each repetition is "optional separator,
// then one digit", which can only be read one way, and the lookarounds make a match cover a whole digit run
// (a longer run is rejected at its start and never retried inside), so the work is linear.
const CANDIDATE = /(?<![\d.+/-])\d(?:(?: {1,2}|[-./\u00a0])?\d){11,18}(?!(?: {1,2}|[-./\u00a0])?\d)/g;

interface Brand {
  prefixes: ReadonlyArray<readonly [number, number]>;
  lengths: readonly number[];
}

// Issuer identification number ranges (first digits) and the lengths each network issues. Ranges are
// compared on a prefix of the same width as the bounds. Visa's 13-digit numbers are long retired and left
// out: 13-digit EAN barcodes starting with 4 would otherwise pass one time in ten.
const BRANDS: readonly Brand[] = [
  { prefixes: [[4, 4]], lengths: [13, 16, 19] }, // Visa
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
  { prefixes: [[3528, 3589]], lengths: [15, 16, 17, 18, 19] }, // JCB
  {
    prefixes: [
      [300, 305],
      [36, 36],
      [38, 39],
    ],
    lengths: [14, 15, 16, 17, 18, 19],
  }, // Diners Club
  { prefixes: [[62, 62]], lengths: [16, 17, 18, 19] }, // UnionPay
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
    ],
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
  }, // Maestro
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

// How people group card numbers: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4.
const LAYOUTS: ReadonlySet<string> = new Set([
  '4,4,4,4',
  '4,4,4,4,3',
  '4,6,5',
  '4,6,4',
  '4,4,4,3',
  '4,4,4,2',
  '4,4,4,4,2',
  '4,4,4,4,1',
]);

/**
 * Detects payment card numbers: a known issuer prefix and length, a passing Luhn check, and either no
 * separators or one separator used consistently in a usual grouping.
 */
export const creditCardDetector: Detector = {
  name: 'credit-card',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(CANDIDATE, text, (m) => {
      const raw = m[0];
      const separators = raw.match(/ {1,2}|[-./\u00a0]/g);
      let digits = raw;
      if (separators !== null) {
        // One separator, used consistently, in a usual grouping or in pairs (1234 5678…, 12 34 56…).
        const sep = separators[0] as string;
        if (separators.some((x) => x !== sep)) return;
        const groups = raw.split(sep).map((g) => g.length);
        const pairs = groups.slice(0, -1).every((n) => n === 2) && (groups[groups.length - 1] ?? 0) <= 2;
        if (!LAYOUTS.has(groups.join(',')) && !pairs) return;
        digits = raw.split(sep).join('');
      }
      // A letter may touch the number (cc4111…): the candidate starts at a digit, so "cc" stays outside it.
      // 15 digits from 35… are a JCB number or, as often, a phone's IMEI (TAC 35…): the label decides.
      if (digits.length === 15 && /imei/i.test(text.slice(Math.max(0, m.index - 12), m.index))) return;
      if (!knownIssuer(digits) || !luhnValid(digits)) return;
      out.push({ start: m.index, end: m.index + raw.length, class: 'credit_card' });
    });
  },
};
