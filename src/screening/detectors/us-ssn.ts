import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';

// AAA-GG-SSSS, AAA GG SSSS or AAA.GG.SSSS (one separator, used twice; forms and scanned documents print the
// dots), not glued to other digits, dashes or word characters (phone numbers are 3-3-4, ZIP+4 is 5-4). The
// backreference keeps "123-45 6789" out. A group of digits right before ("0055 800 63 0580") makes it the tail of
// a phone number, and a dot and a digit after it part of a longer dotted number.
const GROUPED = /(?<![\w+-])(?<!\d[ .])(\d{3})([-. ])(\d{2})\2(\d{4})(?![\w-]|\.\d|\2\d)/g;
// Nine bare digits only right after an SSN label: "SSN: 123456789", "social security number 123456789".
const LABELLED =
  /(?:\bssn|social security (?:number|no\.?|#))\s{0,3}(?:is|:|#|=)?\s{0,3}(\d{3})(\d{2})(\d{4})(?!\d)/gi;

/**
 * Returns whether area, group and serial can belong to an issued SSN: area not 000, 666 or 900–999 (the
 * 9xx range is ITINs and advertising numbers), group not 00, serial not 0000.
 */
function issuable(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** Detects US social security numbers. */
export const usSsnDetector: Detector = {
  name: 'us-ssn',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(GROUPED, text, (m) => {
      if (issuable(m[1] as string, m[3] as string, m[4] as string)) {
        out.push({ start: m.index, end: m.index + 11, class: 'us_ssn' });
      }
    });
    eachMatch(LABELLED, text, (m) => {
      if (issuable(m[1] as string, m[2] as string, m[3] as string)) {
        const end = m.index + m[0].length;
        out.push({ start: end - 9, end, class: 'us_ssn' });
      }
    });
  },
};
