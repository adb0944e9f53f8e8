import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { luhnValid } from '../validators/luhn';

// 13–19 digits, optionally separated by single spaces or dashes. Each repetition is "optional separator,
// then one digit", which can only be read one way, and the lookarounds make a match cover a whole digit run
// (a longer run is rejected at its start and never retried inside), so the work is linear.
const CANDIDATE = /(?<![\w.+/-])\d(?:[ -]?\d){12,18}(?![ -]?\d|\w)/g;

interface Brand {
  prefixes: ReadonlyArray<readonly [number, number]>;
  lengths: readonly number[];
}

// Issuer identification number ranges (first digits) and the lengths each network issues. Ranges are
// compared on a prefix of the same width as the bounds. Visa's 13-digit numbers are long retired and left
// out: 13-digit EAN barcodes starting with 4 would otherwise pass one time in ten.
const BRANDS: readonly Brand[] = [
  { prefixes: [[4, 4]], lengths: [16, 19] }, // Visa
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
  { prefixes: [[3528, 3589]], lengths: [16, 17, 18, 19] }, // JCB
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
    lengths: [13, 14, 15, 16, 17, 18, 19],
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
      const hasSpace = raw.includes(' ');
      const hasDash = raw.includes('-');
      if (hasSpace && hasDash) return;
      if (hasSpace || hasDash) {
        const layout = raw
          .split(hasSpace ? ' ' : '-')
          .map((g) => g.length)
          .join(',');
        if (!LAYOUTS.has(layout)) return;
      }
      const digits = hasSpace || hasDash ? raw.replace(/[ -]/g, '') : raw;
      if (!knownIssuer(digits) || !luhnValid(digits)) return;
      out.push({ start: m.index, end: m.index + raw.length, class: 'credit_card' });
    });
  },
};
