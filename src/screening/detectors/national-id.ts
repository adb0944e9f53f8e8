import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import {
  aadhaarValid,
  bsnValid,
  codiceFiscaleValid,
  cpfValid,
  hetuValid,
  nirValid,
  nricValid,
  peselValid,
  personnummerValid,
  rrnValid,
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

const compact = (text: string): string => text.replace(/[\s.+-]/g, '');

// A UK NINO's first two letters are never D, F, I, Q, U, V (nor O second), nor BG, GB, KN, NK, NT, TN, ZZ.
const NINO_PREFIX = '(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]';
// Labels are matched as written: "SIN" in capitals only (Spanish "sin", Math.sin), "NI" before its noun.
const SIN_LABEL = 'SIN|NAS|[Ss]ocial [Ii]nsurance(?: [Nn]umber| [Nn]o\\.?)?';
const NINO_LABEL =
  '[Nn][Ii][Nn][Oo]|NI (?:[Nn]umber|[Nn]o\\.?)|[Nn]ational [Ii]nsurance(?: [Nn]umber| [Nn]o\\.?)?';
const HETU_LABEL = '[Hh]enkilötunnus|HETU|[Hh]etu|[Pp]ersonal identity code|[Pp]ersonbeteckning';
const NRIC_LABEL = 'NRIC|FIN|NRIC/FIN|IC [Nn]o\\.?|IC [Nn]umber';
const RRN_LABEL =
  '주민등록번호|주민번호|외국인등록번호|RRN|FRN|[Rr]esident [Rr]egistration [Nn]umber|[Ff]oreign(?:er)? [Rr]egistration [Nn]umber';
const PNR_LABEL = '[Pp]ersonnummer|[Pp]ersonnr\\.?|PNR|[Pp]nr|[Ss]amordningsnummer';

// Each pattern is bounded and anchored on word edges, so it runs in linear time. Unlabelled, only a form whose
// check leaves about 1 in 23 random strings or fewer, or whose print layout is its own, counts. A Luhn or
// Verhoeff digit passes 1 in 10 (gift-card codes in 4-4-4, ticket numbers in 3-3-3, build stamps in
// YYMMDD-HHMM: an outside evaluation measured 9-10% of each), so those forms count only right after their label.
const LABEL_GAP = '[^\\d\\n]{0,12}';
const FORMS: readonly IdForm[] = [
  {
    // AB 12 34 56 C, spaced as HMRC prints it. It has no check digit: the letter pairs never issued are left out.
    kind: 'uk-nino',
    pattern: new RegExp(`(?<![\\w-])${NINO_PREFIX} \\d{2} \\d{2} \\d{2} [A-D](?![\\w-])`, 'g'),
    valid: () => true,
  },
  {
    // A mod-23 letter: 1 in 23. Upper or lower case, as people type it.
    kind: 'es-dni',
    pattern: /(?<![\w-])(?:\d{8}|[XYZ]-?\d{7})-?[A-HJ-NP-TV-Z](?![\w-])/gi,
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
    // Finland's henkilötunnus with a letter for its century (A-F: 2000s, U-Y: 1900s since 2023): a layout of its
    // own and a mod-31 check. With "-" or "+" it reads as a build stamp (YYMMDD-HHMM), so only after its label.
    kind: 'fi-hetu',
    pattern: /(?<![\w-])\d{6}[A-FU-Y]\d{3}[\dA-FHJ-NPR-Y](?![\w-])/g,
    valid: hetuValid,
  },
];

/** A kind of number that counts only right after its label. */
interface LabelledForm {
  kind: string;
  label: string;
  /** From the end of the label: the gap, then the number (group `id`); sticky. */
  body: RegExp;
  valid: (compact: string) => boolean;
}

// After their label only.
const LABELLED: readonly LabelledForm[] = [
  labelledForm(
    'in-aadhaar',
    '[Aa][Aa][Dd][Hh][Aa][Aa]?[Rr]|UIDAI|UID',
    '[2-9]\\d{3}(?<sep>[ -]?)\\d{4}\\k<sep>\\d{4}',
    aadhaarValid,
  ),
  labelledForm('br-cpf', 'CPF|cpf', '\\d{11}', cpfValid),
  labelledForm('pl-pesel', 'PESEL|[Pp]esel', '\\d{11}', peselValid),
  labelledForm(
    'nl-bsn',
    'BSN|[Bb]urgerservicenummer|[Ss]ofi-?nummer',
    '\\d{9}|\\d{4}\\.\\d{2}\\.\\d{3}',
    bsnValid,
  ),
  labelledForm('se-personnummer', PNR_LABEL, '(?:19|20)?\\d{6}[-+]?\\d{4}', (id) =>
    personnummerValid(id.slice(-10)),
  ),
  labelledForm('fi-hetu', HETU_LABEL, '\\d{6}[-+]\\d{3}[\\dA-FHJ-NPR-Y]', hetuValid),
  labelledForm('sg-nric', NRIC_LABEL, '[STFG]\\d{7}[A-Z]', nricValid),
  labelledForm('kr-rrn', RRN_LABEL, '\\d{6}-?[1-8]\\d{6}', rrnValid),
  labelledForm('ca-sin', SIN_LABEL, '\\d{3}(?<sep>[- ]?)\\d{3}\\k<sep>\\d{3}(?![,.]\\d)', sinValid),
  labelledForm('uk-nino', NINO_LABEL, `${NINO_PREFIX} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]`, () => true),
];

// Every label in one scan, each alternative in a group of its own that names its form; the number after a label
// is then read where the label ends. One pass over the text instead of one per form.
const ANY_LABEL = new RegExp(
  `(?<![\\w.])(?:${LABELLED.map((form, i) => `(?<f${i}>${form.label})`).join('|')})(?!\\w)`,
  'g',
);

// The label ends where no ASCII word character follows (not \b, which never holds after a Korean label).
function labelledForm(
  kind: string,
  label: string,
  body: string,
  valid: (id: string) => boolean,
): LabelledForm {
  return { kind, label, body: new RegExp(`${LABEL_GAP}(?<id>${body})(?![\\w])`, 'y'), valid };
}

function report(out: TextSpan[], kind: string, start: number, value: string): void {
  out.push({ start, end: start + value.length, class: 'national_id', rule: `modelgate-national-id-${kind}` });
}

/**
 * Detects national identity numbers that carry a check digit or a fixed form: UK National Insurance number,
 * Spanish DNI/NIE, Italian codice fiscale, French NIR, Brazilian CPF, Indian Aadhaar, Polish PESEL, Dutch BSN,
 * Swedish personnummer, Canadian SIN, Finnish henkilötunnus, Singapore NRIC/FIN, Korean resident registration
 * number. The span is the number; the rule id names its kind.
 */
export const nationalIdDetector: Detector = {
  name: 'national-id',
  detect(text: string, out: TextSpan[]): void {
    for (const form of FORMS) {
      eachMatch(form.pattern, text, (m) => {
        if (form.valid(compact(m[0]).toUpperCase())) report(out, form.kind, m.index, m[0]);
      });
    }
    ANY_LABEL.lastIndex = 0;
    for (let m = ANY_LABEL.exec(text); m !== null; m = ANY_LABEL.exec(text)) {
      const form = LABELLED[labelIndex(m.groups!)]!;
      form.body.lastIndex = ANY_LABEL.lastIndex;
      const found = form.body.exec(text);
      const value = found?.groups?.id;
      if (!found || value === undefined) continue;
      // On past the number, as a pattern per form would go: a label inside it ("NRIC/FIN") is not read again.
      ANY_LABEL.lastIndex = form.body.lastIndex;
      if (form.valid(compact(value).toUpperCase())) {
        report(out, form.kind, form.body.lastIndex - value.length, value);
      }
    }
  },
};

function labelIndex(groups: Record<string, string | undefined>): number {
  for (let i = 0; i < LABELLED.length; i++) if (groups[`f${i}`] !== undefined) return i;
  return -1;
}
