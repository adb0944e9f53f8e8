import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import {
  aadhaarValid,
  bsnValid,
  codiceFiscaleValid,
  cpfValid,
  nirValid,
  peselValid,
  personnummerValid,
  sinValid,
  spanishIdValid,
} from '../validators/national-ids';

/** One kind of national identity number: where it is in a match, and how to check it. */
interface IdForm {
  kind: string;
  pattern: RegExp;
  /** The identifier's characters without separators, from the match; checked by `valid`. */
  valid: (compact: string) => boolean;
}

const compact = (text: string): string => text.replace(/[\s.-]/g, '');

// A UK NINO's first two letters are never D, F, I, Q, U, V (nor O second), nor BG, GB, KN, NK, NT, TN, ZZ.
const NINO_PREFIX = '(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]';
// Labels are matched as written: "SIN" in capitals only (Spanish "sin", Math.sin), "NI" before its noun.
const SIN_LABEL = 'SIN|[Ss]ocial [Ii]nsurance(?: [Nn]umber| [Nn]o\\.?)?';
const NINO_LABEL = 'NINO|NI (?:[Nn]umber|[Nn]o\\.?)|[Nn]ational [Ii]nsurance(?: [Nn]umber| [Nn]o\\.?)?';

// Each pattern is bounded and anchored on word edges, so it runs in linear time. A form that a check digit alone
// cannot tell from an order or phone number (9 to 12 bare digits), or a part number (an unspaced NINO), counts
// only right after its label.
const LABEL_GAP = '[^\\d\\n]{0,12}';
const FORMS: readonly IdForm[] = [
  {
    // AB 12 34 56 C, spaced as HMRC prints it. It has no check digit: the letter pairs never issued are left out.
    kind: 'uk-nino',
    pattern: new RegExp(`(?<![\\w-])${NINO_PREFIX} \\d{2} \\d{2} \\d{2} [A-D](?![\\w-])`, 'g'),
    valid: () => true,
  },
  {
    kind: 'es-dni',
    pattern: /(?<![\w-])(?:\d{8}|[XYZ]-?\d{7})-?[A-HJ-NP-TV-Z](?![\w-])/g,
    valid: spanishIdValid,
  },
  {
    // Omocodia replaces digits by L M N P Q R S T U V, so each digit place also takes those letters.
    kind: 'it-codice-fiscale',
    pattern: /(?<![\w-])[A-Z]{6}[\dLMNP-V]{2}[A-EHLMPR-T][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z](?![\w-])/gi,
    valid: codiceFiscaleValid,
  },
  {
    kind: 'fr-nir',
    pattern: /(?<![\w-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-])/g,
    valid: nirValid,
  },
  {
    kind: 'br-cpf',
    pattern: /(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-]|\.\d)/g,
    valid: cpfValid,
  },
  {
    kind: 'in-aadhaar',
    // As printed on the card, with spaces; with dashes the form is an invoice number's (2025-3321-0012).
    pattern: /(?<!\d ?)[2-9]\d{3} \d{4} \d{4}(?! ?\d)/g,
    valid: aadhaarValid,
  },
  {
    kind: 'se-personnummer',
    pattern: /(?<![\w-])(?:19|20)?\d{6}[-+]\d{4}(?![\w-])/g,
    valid: (id) => personnummerValid(id.replace('+', '').slice(-10)),
  },
  {
    kind: 'ca-sin',
    // With dashes only: with spaces it is an amount ("total 316 704 923,23"), which the label form still allows.
    pattern: /(?<![\w-])\d{3}-\d{3}-\d{3}(?![\w-]|[.,]\d)/g,
    valid: sinValid,
  },
  // After their label only.
  labelled('in-aadhaar', '[Aa][Aa][Dd][Hh][Aa][Aa]?[Rr]|UIDAI', '[2-9]\\d{11}', aadhaarValid),
  labelled('br-cpf', 'CPF|cpf', '\\d{11}', cpfValid),
  labelled('pl-pesel', 'PESEL|[Pp]esel', '\\d{11}', peselValid),
  labelled('nl-bsn', 'BSN|[Bb]urgerservicenummer|[Ss]ofi-?nummer', '\\d{9}', bsnValid),
  labelled('ca-sin', SIN_LABEL, '\\d{9}', sinValid),
  labelled('ca-sin', SIN_LABEL, '\\d{3} \\d{3} \\d{3}(?![,.]\\d)', sinValid),
  labelled('uk-nino', NINO_LABEL, `${NINO_PREFIX} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]`, () => true),
];

function labelled(kind: string, label: string, body: string, valid: (id: string) => boolean): IdForm {
  return {
    kind,
    pattern: new RegExp(`(?<![\\w.])(?:${label})\\b${LABEL_GAP}(?<id>${body})(?![\\w])`, 'g'),
    valid,
  };
}

/**
 * Detects national identity numbers that carry a check digit or a fixed form: UK National Insurance number,
 * Spanish DNI/NIE, Italian codice fiscale, French NIR, Brazilian CPF, Indian Aadhaar, Polish PESEL, Dutch BSN,
 * Swedish personnummer, Canadian SIN. The span is the number; the rule id names its kind.
 */
export const nationalIdDetector: Detector = {
  name: 'national-id',
  detect(text: string, out: TextSpan[]): void {
    for (const form of FORMS) {
      eachMatch(form.pattern, text, (m) => {
        const value = m.groups?.id ?? m[0];
        if (!form.valid(compact(value).toUpperCase())) return;
        const start = m.index + m[0].lastIndexOf(value);
        out.push({
          start,
          end: start + value.length,
          class: 'national_id',
          rule: `modelgate-national-id-${form.kind}`,
        });
      });
    }
  },
};
