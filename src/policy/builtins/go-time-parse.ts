// Go's time.Parse(layout, value): reading a time written with a reference-time layout. Both strings are Go
// strings (one char per UTF-8 byte). Where Go fails, this throws; the messages are ours.
import { daysBeforeMonth, daysIn, goDate, isLeap, type DateParts, type GoTime } from './go-time-civil';
import { LONG_DAYS, LONG_MONTHS, nextChunk, type LayoutElement } from './go-time-layout';
import { localZone, UTC, type Zone } from './go-time-zone';
import {
  atoi,
  fixedTwo,
  fraction,
  isDigitAt,
  isSeparator,
  leadingInt,
  lookupName,
  number,
  ParseFailure,
  skipLiteral,
} from './go-time-parse-text';

interface Parsed extends DateParts {
  yday: number;
  am: boolean;
  pm: boolean;
  zone: Zone | undefined;
  zoneOffset: number | undefined;
  zoneName: string;
}

/** Returns the instant `value` names in `layout`, as Go's time.Parse (UTC unless the value gives a zone). */
export function parseTime(layout: string, value: string): GoTime {
  const p: Parsed = {
    ...{ year: 0, month: -1, day: -1, hour: 0, minute: 0, second: 0, nsec: 0, yday: -1 },
    ...{ am: false, pm: false, zone: undefined, zoneOffset: undefined, zoneName: '' },
  };
  let rest = layout;
  let v = value;
  for (;;) {
    const { prefix, element, suffix } = nextChunk(rest);
    v = skipLiteral(v, prefix);
    if (!element) {
      if (v !== '') throw new ParseFailure(`extra text: ${v}`);
      break;
    }
    rest = suffix;
    v = parseElement(p, element, v, rest);
  }
  if (p.pm && p.hour < 12) p.hour += 12;
  else if (p.am && p.hour === 12) p.hour = 0;
  resolveDay(p);
  if (p.day < 1 || p.day > daysIn(p.month, p.year)) throw new ParseFailure('day out of range');
  return place(p);
}

// Reads one element from the start of `v` into `p`; returns what is left of `v`.
function parseElement(p: Parsed, element: LayoutElement, v: string, layoutRest: string): string {
  const kind = element.kind;
  switch (kind) {
    case '06': {
      if (v.length < 2) throw new ParseFailure('bad year');
      const year = atoi(v.slice(0, 2));
      p.year = year >= 69 ? year + 1900 : year + 2000;
      return v.slice(2);
    }
    case '2006':
      if (v.length < 4 || !isDigitAt(v, 0)) throw new ParseFailure('bad year');
      p.year = atoi(v.slice(0, 4));
      return v.slice(4);
    case 'Jan':
    case 'January':
      return lookupName(v, kind === 'Jan' ? LONG_MONTHS.map((m) => m.slice(0, 3)) : LONG_MONTHS, (i) => {
        p.month = i + 1;
      });
    case 'Mon':
    case 'Monday':
      // Go checks a weekday name and then ignores it.
      return lookupName(v, kind === 'Mon' ? LONG_DAYS.map((d) => d.slice(0, 3)) : LONG_DAYS, () => undefined);
    case '1':
    case '01':
      return number(v, kind === '01', 2, (n) => {
        p.month = n;
        return n >= 1 && n <= 12;
      });
    case '2':
    case '_2':
    case '02':
      return number(kind === '_2' && v.startsWith(' ') ? v.slice(1) : v, kind === '02', 2, (n) => {
        p.day = n;
        return true;
      });
    case '__2':
    case '002': {
      let w = v;
      for (let i = 0; i < 2 && kind === '__2' && w.startsWith(' '); i++) w = w.slice(1);
      return number(w, kind === '002', 3, (n) => {
        p.yday = n;
        return true;
      });
    }
    case '15':
    case '3':
    case '03':
      return number(v, kind === '03', 2, (n) => {
        p.hour = n;
        return kind === '15' ? n < 24 : n <= 12;
      });
    case '4':
    case '04':
      return number(v, kind === '04', 2, (n) => {
        p.minute = n;
        return n < 60;
      });
    case '5':
    case '05':
      return parseSeconds(p, v, kind === '05', layoutRest);
    case 'PM':
    case 'pm': {
      const word = v.slice(0, 2);
      const [am, pm] = kind === 'PM' ? ['AM', 'PM'] : ['am', 'pm'];
      if (word !== am && word !== pm) throw new ParseFailure('bad AM/PM');
      if (word === am) p.am = true;
      else p.pm = true;
      return v.slice(2);
    }
    case 'MST':
      return parseZoneName(p, v);
    case '.0': {
      // The layout's digit count, exactly.
      const length = 1 + (element.digits ?? 0);
      if (v.length < length) throw new ParseFailure('bad fraction');
      p.nsec = fraction(v, length);
      return v.slice(length);
    }
    case '.9': {
      if (v.length < 2 || !isSeparator(v[0]) || !isDigitAt(v, 1)) return v;
      let length = 2;
      while (isDigitAt(v, length)) length++;
      p.nsec = fraction(v, length);
      return v.slice(length);
    }
    default:
      return parseOffset(p, kind, v);
  }
}

function parseSeconds(p: Parsed, v: string, fixed: boolean, layoutRest: string): string {
  let w = number(v, fixed, 2, (n) => {
    p.second = n;
    return n < 60;
  });
  // A fraction the layout does not ask for is read anyway, unless the layout's next element is one.
  if (w.length >= 2 && isSeparator(w[0]) && isDigitAt(w, 1)) {
    const next = nextChunk(layoutRest).element?.kind;
    if (next === '.0' || next === '.9') return w;
    let length = 2;
    while (isDigitAt(w, length)) length++;
    p.nsec = fraction(w, length);
    w = w.slice(length);
  }
  return w;
}

function parseZoneName(p: Parsed, v: string): string {
  if (v.startsWith('UTC')) {
    p.zone = UTC;
    return v.slice(3);
  }
  const length = zoneNameLength(v);
  if (length === 0) throw new ParseFailure('bad zone name');
  p.zoneName = v.slice(0, length);
  return v.slice(length);
}

// How long a zone abbreviation at the start of `v` is, as Go's parseTimeZone decides (0: none).
function zoneNameLength(v: string): number {
  if (v.length < 3) return 0;
  if (v.startsWith('ChST') || v.startsWith('MeST')) return 4;
  if (v.startsWith('GMT')) return 3 + signedHoursLength(v.slice(3));
  if (v[0] === '+' || v[0] === '-') return signedHoursLength(v);
  let upper = 0;
  while (upper < 6 && upper < v.length && v[upper]! >= 'A' && v[upper]! <= 'Z') upper++;
  if (upper === 3) return 3;
  if (upper === 4 && (v[3] === 'T' || v.startsWith('WITA'))) return 4;
  if (upper === 5 && v[4] === 'T') return 5;
  return 0;
}

// A sign and at most 23 hours ("+5", "-07"); 0 when there is none.
function signedHoursLength(v: string): number {
  if (v[0] !== '+' && v[0] !== '-') return 0;
  const digits = /^[0-9]*/.exec(v.slice(1))![0];
  if (digits === '' || leadingInt(digits) > 23n) return 0;
  return 1 + digits.length;
}

function parseOffset(p: Parsed, kind: string, v: string): string {
  if (kind.startsWith('Z') && v.startsWith('Z')) {
    p.zone = UTC;
    return v.slice(1);
  }
  const colon = kind.includes(':');
  const hasSeconds = kind.endsWith('0000') || kind.endsWith(':00:00');
  const hasMinutes = kind.length > 3;
  const length = 3 + (hasMinutes ? 2 + (colon ? 1 : 0) : 0) + (hasSeconds ? 2 + (colon ? 1 : 0) : 0);
  if (v.length < length) throw new ParseFailure('bad offset');
  if (colon && (v[3] !== ':' || (hasSeconds && v[6] !== ':'))) throw new ParseFailure('bad offset');
  const step = colon ? 3 : 2;
  const hours = fixedTwo(v.slice(1, 3));
  const minutes = hasMinutes ? fixedTwo(v.slice(1 + step, 3 + step)) : 0;
  const seconds = hasSeconds ? fixedTwo(v.slice(1 + 2 * step, 3 + 2 * step)) : 0;
  // Go allows 24 hours, 60 minutes and 60 seconds here: some write offsets so.
  if (hours > 24 || minutes > 60 || seconds > 60) throw new ParseFailure('offset out of range');
  const offset = (hours * 60 + minutes) * 60 + seconds;
  if (v[0] !== '+' && v[0] !== '-') throw new ParseFailure('bad offset sign');
  p.zoneOffset = v[0] === '-' ? -offset : offset;
  return v.slice(length);
}

function resolveDay(p: Parsed): void {
  if (p.yday < 0) {
    if (p.month < 0) p.month = 1;
    if (p.day < 0) p.day = 1;
    return;
  }
  let yday = p.yday;
  let month = 0;
  let day = 0;
  if (isLeap(p.year)) {
    if (yday === 60) [month, day] = [2, 29];
    else if (yday > 60) yday--;
  }
  if (yday < 1 || yday > 365) throw new ParseFailure('day-of-year out of range');
  if (month === 0) {
    month = Math.floor((yday - 1) / 31) + 1;
    if (daysBeforeMonth(month + 1) < yday) month++;
    day = yday - daysBeforeMonth(month);
  }
  if (p.month >= 0 && p.month !== month) throw new ParseFailure('day-of-year does not match month');
  if (p.day >= 0 && p.day !== day) throw new ParseFailure('day-of-year does not match day');
  p.month = month;
  p.day = day;
}

// Places the wall time: in the zone the value named, at the offset it gave, or by its abbreviation.
function place(p: Parsed): GoTime {
  if (p.zone) return goDate(p, p.zone);
  const utc = goDate(p, UTC);
  // Go marks "no offset" with -1 s, so an offset of exactly -1 s ("-00:00:01") is read as none.
  if (p.zoneOffset !== undefined && p.zoneOffset !== -1) return { ...utc, sec: utc.sec - p.zoneOffset };
  if (p.zoneName === '') return utc;
  // An abbreviation the machine's zone does not use leaves the wall time as UTC ("GMT+3" too: Go only
  // records that offset for display).
  const offset = offsetOfName(localZone(), p.zoneName, utc.sec) ?? 0;
  return { ...utc, sec: utc.sec - offset };
}

// Go's lookupName: an abbreviation of `zone` in effect near `sec`, else any type with that abbreviation.
function offsetOfName(zone: Zone, name: string, sec: number): number | undefined {
  for (const type of zone.types) {
    if (type.abbrev === name && zone.lookup(sec - type.offset).abbrev === name) {
      return zone.lookup(sec - type.offset).offset;
    }
  }
  return zone.types.find((type) => type.abbrev === name)?.offset;
}
