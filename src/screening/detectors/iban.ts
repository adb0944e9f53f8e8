import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { ibanValid } from '../validators/iban-checksum';

// Country code, check digits, then either groups of four separated by single spaces (the paper format) or by
// dashes (as some forms and banking apps print it), or 11–30 characters in one piece (the electronic format).
// Group repetitions start with the separator, which the groups cannot contain, so each can be read one way only;
// quantifiers are bounded; the backreference keeps one separator throughout.
// Case-insensitive: people type IBANs in lower case too; the checksum is computed on the upper-cased form.
const CANDIDATE =
  /(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:([ -])[A-Z0-9]{4}(?:\1[A-Z0-9]{4}){1,7}(?:\1[A-Z0-9]{1,3})?|[A-Z0-9]{11,30})(?![A-Za-z0-9])/gi;

/**
 * Detects IBANs: a country from the SWIFT registry with its exact length, and a valid mod-97 checksum.
 * In the paper format a trailing group may be a following word ("… 0130 00 BANK"), so trailing groups are
 * dropped one at a time until the rest validates.
 */
export const ibanDetector: Detector = {
  name: 'iban',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(CANDIDATE, text, (m) => {
      let candidate = m[0];
      const separator = m[1] ?? ' ';
      for (let tries = 0; tries < 3; tries++) {
        if (ibanValid(candidate.split(separator).join('').toUpperCase())) {
          out.push({ start: m.index, end: m.index + candidate.length, class: 'iban' });
          break;
        }
        const cut = candidate.lastIndexOf(separator);
        if (cut < 0) break;
        candidate = candidate.slice(0, cut);
      }
    });
  },
};
