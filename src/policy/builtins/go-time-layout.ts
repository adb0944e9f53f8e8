// Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"): how a layout splits into literal text and
// elements, and how a time is written with one. Strings here are Go strings: one char per UTF-8 byte.
import { civilFields, type GoTime } from './go-time-civil';

/** One element of a layout ("Jan", "15", ".000", "Z07:00"), as Go's nextStdChunk finds it. */
export interface LayoutElement {
  readonly kind: string;
  /** Digits of a fractional second (".000" has 3). */
  readonly digits?: number;
  /** "." or "," before a fractional second. */
  readonly separator?: string;
}

/** A layout cut at its first element: the literal text before it, the element, and the rest. */
export interface LayoutChunk {
  readonly prefix: string;
  readonly element: LayoutElement | undefined;
  readonly suffix: string;
}

/** Month names as Go writes and reads them ("Jan" is the first three letters). */
export const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
/** Weekday names from Sunday, as Go's time.Weekday. */
export const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Go's constants that OPA accepts by name in time.format and time.parse_ns (not Kitchen, not Stamp). */
export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

// Elements found by their exact text at a position, longest first where one is a prefix of another.
const ZONE_ELEMENTS: Readonly<Record<string, string[]>> = {
  '-': ['-070000', '-07:00:00', '-0700', '-07:00', '-07'],
  Z: ['Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07'],
};
const ZERO_ELEMENTS = ['01', '02', '03', '04', '05', '06'];

const isDigitAt = (s: string, i: number) => i < s.length && s[i]! >= '0' && s[i]! <= '9';
const isLowerAt = (s: string, i: number) => i < s.length && s[i]! >= 'a' && s[i]! <= 'z';

/** Returns the layout cut at its first element (none: the whole layout is literal text). */
export function nextChunk(layout: string): LayoutChunk {
  for (let i = 0; i < layout.length; i++) {
    const found = elementAt(layout, i);
    if (found) {
      const [element, length, literal = 0] = found;
      return { prefix: layout.slice(0, i + literal), element, suffix: layout.slice(i + literal + length) };
    }
  }
  return { prefix: layout, element: undefined, suffix: '' };
}

// Returns the element at `i`, its length and how many literal chars precede it there ("_2006" is "_" + year).
function elementAt(s: string, i: number): [LayoutElement, number, number?] | undefined {
  const at = (text: string) => s.startsWith(text, i);
  const el = (kind: string, length: number): [LayoutElement, number] => [{ kind }, length];
  switch (s[i]) {
    case 'J':
      if (at('January')) return el('January', 7);
      if (at('Jan') && !isLowerAt(s, i + 3)) return el('Jan', 3);
      return undefined;
    case 'M':
      if (at('Monday')) return el('Monday', 6);
      if (at('Mon') && !isLowerAt(s, i + 3)) return el('Mon', 3);
      if (at('MST')) return el('MST', 3);
      return undefined;
    case '0':
      if (ZERO_ELEMENTS.includes(s.slice(i, i + 2))) return el(s.slice(i, i + 2), 2);
      if (at('002')) return el('002', 3);
      return undefined;
    case '1':
      return at('15') ? el('15', 2) : el('1', 1);
    case '2':
      return at('2006') ? el('2006', 4) : el('2', 1);
    case '_':
      if (at('_2006')) return [{ kind: '2006' }, 4, 1];
      if (at('_2')) return el('_2', 2);
      if (at('__2')) return el('__2', 3);
      return undefined;
    case '3':
    case '4':
    case '5':
      return el(s[i]!, 1);
    case 'P':
      return at('PM') ? el('PM', 2) : undefined;
    case 'p':
      return at('pm') ? el('pm', 2) : undefined;
    case '-':
    case 'Z': {
      const text = ZONE_ELEMENTS[s[i]!]!.find(at);
      return text === undefined ? undefined : el(text, text.length);
    }
    case '.':
    case ',': {
      const digit = s[i + 1];
      if (digit !== '0' && digit !== '9') return undefined;
      let j = i + 1;
      while (s[j] === digit) j++;
      // Only a run of digits that ends the number is a fractional second (".000" but not ".0001").
      if (isDigitAt(s, j)) return undefined;
      return [{ kind: digit === '0' ? '.0' : '.9', digits: j - i - 1, separator: s[i]! }, j - i];
    }
    default:
      return undefined;
  }
}

/** Returns `n` in decimal, zero-padded to `width` digits (a minus sign before the padding). */
export function padded(n: number, width: number): string {
  const digits = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${digits}` : digits;
}

/** Returns `t` written with a Go layout (Go's Time.Format). */
export function formatTime(t: GoTime, layout: string): string {
  const f = civilFields(t);
  let out = '';
  let rest = layout;
  for (;;) {
    const { prefix, element, suffix } = nextChunk(rest);
    out += prefix;
    if (!element) return out;
    rest = suffix;
    out += formatElement(f, element);
  }
}

function formatElement(f: ReturnType<typeof civilFields>, element: LayoutElement): string {
  const hour12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  switch (element.kind) {
    case '06':
      return padded(f.year % 100, 2);
    case '2006':
      return padded(f.year, 4);
    case 'Jan':
      return LONG_MONTHS[f.month - 1]!.slice(0, 3);
    case 'January':
      return LONG_MONTHS[f.month - 1]!;
    case '1':
      return String(f.month);
    case '01':
      return padded(f.month, 2);
    case 'Mon':
      return LONG_DAYS[f.weekday]!.slice(0, 3);
    case 'Monday':
      return LONG_DAYS[f.weekday]!;
    case '2':
      return String(f.day);
    case '_2':
      return String(f.day).padStart(2, ' ');
    case '02':
      return padded(f.day, 2);
    case '__2':
      return String(f.yday).padStart(3, ' ');
    case '002':
      return padded(f.yday, 3);
    case '15':
      return padded(f.hour, 2);
    case '3':
      return String(hour12);
    case '03':
      return padded(hour12, 2);
    case '4':
      return String(f.minute);
    case '04':
      return padded(f.minute, 2);
    case '5':
      return String(f.second);
    case '05':
      return padded(f.second, 2);
    case 'PM':
      return f.hour >= 12 ? 'PM' : 'AM';
    case 'pm':
      return f.hour >= 12 ? 'pm' : 'am';
    case 'MST':
      return f.abbrev !== '' ? f.abbrev : formatOffset(f.offset, '-0700');
    case '.0':
    case '.9':
      return formatFraction(f.nsec, element);
    default:
      return formatOffset(f.offset, element.kind);
  }
}

function formatOffset(offset: number, kind: string): string {
  if (offset === 0 && kind.startsWith('Z')) return 'Z';
  // Go truncates to whole minutes for the sign and hours, so an offset of -30 s is written "+00:00".
  const minutes = Math.trunc(offset / 60);
  const abs = Math.abs(offset);
  let out = (minutes < 0 ? '-' : '+') + padded(Math.trunc(Math.abs(minutes) / 60), 2);
  const colon = kind.includes(':') ? ':' : '';
  if (kind.length > 3) out += colon + padded(Math.abs(minutes) % 60, 2);
  if (kind.endsWith('0000') || kind.endsWith(':00:00')) out += colon + padded(abs % 60, 2);
  return out;
}

function formatFraction(nsec: number, element: LayoutElement): string {
  const digits = element.digits ?? 0;
  const trim = element.kind === '.9';
  if (trim && (digits === 0 || nsec === 0)) return '';
  let fraction = padded(nsec, 9).slice(0, Math.min(digits, 9));
  if (trim) fraction = fraction.replace(/0+$/, '');
  return fraction === '' ? '' : (element.separator ?? '.') + fraction;
}
