/**
 * Normalisation before detection, so that look-alike spellings of a secret or a card number match the same
 * rules as the plain one, and a map back to the original text, so that redaction removes the original span
 * whatever it looked like.
 *
 * Per code point: format characters (Unicode category Cf: zero-width space and joiners, soft hyphen, word
 * joiner, BOM, bidi controls), the other default-ignorable code points (combining grapheme joiner, variation
 * selectors) and the control characters that are not whitespace (NUL, ESC, DEL, C1) are dropped; compatibility forms are folded with NFKC (full-width letters, digits and `＠`,
 * no-break spaces, ligatures); decimal digits of other scripts become ASCII digits; the Cyrillic and Greek
 * letters that look like Latin ones become those Latin letters; and an escape of a printable ASCII character
 * (`%5F`, `&#95;`, `\\u005f`) becomes that character, so URL-, HTML- and source-escaped secrets match. Folding
 * is per code point, which is what matching needs; the folded text is never shown or stored.
 */

/** The normalised text and, per UTF-16 unit of it, where it came from in the original. */
export interface Normalised {
  text: string;
  /** Original offset of the code point each unit of `text` came from (`undefined` when nothing changed). */
  from?: Int32Array;
  /** Original offset just past that code point. */
  to?: Int32Array;
}

// Look-alikes from Unicode's confusables list that matter for tokens, keys and prefixes: Cyrillic and Greek
// capitals and small letters whose glyphs are Latin letters.
// prettier-ignore
const LOOK_ALIKES = 'АВЕКМНОРСТХЅІЈҮԚԜаеорсухѕіјһԁԛԝүΑΒΕΖΗΙΚΜΝΟΡΤΥΧονικρτυχα';
// prettier-ignore
const LATIN =       'ABEKMHOPCTXSIJYQWaeopcyxsijhdqwyABEZHIKMNOPTYXovikptuxa';
const CONFUSABLES: ReadonlyMap<string, string> = new Map(
  [...LOOK_ALIKES].map((c, i) => [c, LATIN.charAt(i)]),
);

// The code point of zero of each run of ten decimal digits that NFKC leaves alone (Arabic-Indic, extended
// Arabic-Indic, NKo, Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam,
// Sinhala, Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian).
const DIGIT_ZEROS = [
  0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0,
  0xf20, 0x1040, 0x1090, 0x17e0, 0x1810,
];

// Format characters and the rest of Unicode's default-ignorable code points (combining grapheme joiner,
// variation selectors, Hangul fillers, Mongolian variation selectors): invisible, so dropped like Cf.
const FORMAT = /^[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
// Control characters but the whitespace ones (tab, line feed, vertical tab, form feed, carriage return, next
// line): a model reads a token with a NUL or an ESC inside as the token, and most renderings show nothing.
// NUL apart: texts screened joined are separated by NULs (detect-joined.ts), which must stay there.
const CONTROLS_BUT_NUL = '\\u0001-\\u0008\\u000e-\\u001f\\u007f-\\u0084\\u0086-\\u009f';
const CONTROL = new RegExp(`^[\\u0000${CONTROLS_BUT_NUL}]$`);
const HAS_CONTROL = new RegExp(`[\\u0000${CONTROLS_BUT_NUL}]`);
const HAS_CONTROL_BUT_NUL = new RegExp(`[${CONTROLS_BUT_NUL}]`);
// An escape that may spell a printable ASCII character: %XX, &#NN; or &#xHH;, \\uXXXX or \\xHH; the group that
// matched says which. ESCAPE finds one anywhere, ESCAPE_AT reads one where it starts.
const ESCAPE = /%([2-7][0-9A-Fa-f])|&#(?:[xX]([2-7][0-9A-Fa-f])|(\d{2,3}));|\\(?:u00|x)([2-7][0-9A-Fa-f])/;
const ESCAPE_AT = new RegExp(ESCAPE.source, 'y');

/**
 * Returns the character and length of the escape at `at` when it spells printable ASCII (0x20–0x7e): a percent
 * escape (`%5F`, URL encoding), an HTML character reference (`&#95;`, `&#x5F;`) or a backslash escape
 * (`\\u005f`, `\\x5f`), the forms a secret takes in URLs, HTML and source code.
 */
function escapedChar(text: string, at: number): { char: string; width: number } | undefined {
  ESCAPE_AT.lastIndex = at;
  const m = ESCAPE_AT.exec(text);
  if (m === null) return undefined;
  const decimal = m[3];
  const code = decimal !== undefined ? Number(decimal) : parseInt((m[1] ?? m[2] ?? m[4]) as string, 16);
  if (code < 0x20 || code > 0x7e) return undefined;
  return { char: String.fromCharCode(code), width: m[0].length };
}
// Anything outside ASCII; pure-ASCII text (most payloads) skips normalisation outright.
const NEEDS_WORK = /[\u0080-\uffff]/;

function fold(ch: string): string {
  if (FORMAT.test(ch) || CONTROL.test(ch)) return '';
  const look = CONFUSABLES.get(ch);
  if (look !== undefined) return look;
  const cp = ch.codePointAt(0) as number;
  for (const zero of DIGIT_ZEROS) if (cp >= zero && cp < zero + 10) return String(cp - zero);
  const nfkc = ch.normalize('NFKC');
  // A fold that itself yields look-alikes or format characters (rare) is folded once more, code point by code
  // point, without recursion.
  let out = '';
  for (const c of nfkc) out += FORMAT.test(c) ? '' : (CONFUSABLES.get(c) ?? c);
  return out;
}

// Whether a non-ASCII code point folds to itself (most do: accented letters, typographic quotes, CJK), cached
// so that text in any language pays for the check of each distinct character once.
const UNCHANGED = new Map<string, boolean>();
const UNCHANGED_CAP = 8192;
const NON_ASCII = /[\u0080-\uffff]/g;

/**
 * Returns whether normalising `text` would change it: a code point that folds, a control character, or an escape
 * of printable ASCII.
 */
function needsFolding(text: string, controls: RegExp): boolean {
  if (ESCAPE.test(text) || controls.test(text)) return true;
  NON_ASCII.lastIndex = 0;
  for (let m = NON_ASCII.exec(text); m !== null; m = NON_ASCII.exec(text)) {
    const cp = text.codePointAt(m.index) as number;
    const ch = String.fromCodePoint(cp);
    let same = UNCHANGED.get(ch);
    if (same === undefined) {
      same = fold(ch) === ch;
      if (UNCHANGED.size < UNCHANGED_CAP) UNCHANGED.set(ch, same);
    }
    if (!same) return true;
    if (cp > 0xffff) NON_ASCII.lastIndex++;
  }
  return false;
}

/**
 * Returns `text` normalised for matching, with the map back to the original when anything changed. `keepNul`
 * keeps NULs: texts joined for screening are separated by them, and a text holding one is screened alone.
 */
export function normalise(text: string, options: { keepNul?: boolean } = {}): Normalised {
  const keepNul = options.keepNul === true;
  const controls = keepNul ? HAS_CONTROL_BUT_NUL : HAS_CONTROL;
  // Most text, ASCII or not, has nothing to fold: it is returned as it is, without building the offset map.
  if (!NEEDS_WORK.test(text) ? !ESCAPE.test(text) && !controls.test(text) : !needsFolding(text, controls))
    return { text };
  let out = '';
  const from: number[] = [];
  const to: number[] = [];
  let changed = false;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) as number;
    let width = cp > 0xffff ? 2 : 1;
    const ch = text.slice(i, i + width);
    const control = cp < 0x80 && CONTROL.test(ch) && !(cp === 0 && keepNul);
    let folded = cp < 0x80 && !control ? ch : fold(ch);
    if (cp === 0x25 || cp === 0x26 || cp === 0x5c) {
      // "%", "&" or "\\": an escape of a printable ASCII character (token%3Dghp%5F…, &#103;hp_…, \\u0067hp_…).
      const escaped = escapedChar(text, i);
      if (escaped !== undefined) {
        folded = escaped.char;
        width = escaped.width;
      }
    }
    if (folded !== ch) changed = true;
    for (let k = 0; k < folded.length; k++) {
      from.push(i);
      to.push(i + width);
    }
    out += folded;
    i += width;
  }
  if (!changed) return { text };
  return { text: out, from: Int32Array.from(from), to: Int32Array.from(to) };
}

/** Returns the original span of a span of the normalised text. */
export function originalSpan(n: Normalised, start: number, end: number): { start: number; end: number } {
  if (n.from === undefined || n.to === undefined) return { start, end };
  const last = Math.max(start, end - 1);
  return { start: n.from[start] ?? 0, end: n.to[last] ?? n.to[n.to.length - 1] ?? 0 };
}
