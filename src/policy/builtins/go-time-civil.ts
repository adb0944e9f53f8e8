// Calendar arithmetic as Go's time package does it: the proleptic Gregorian calendar, unix seconds in doubles
// (exact: every time OPA accepts is within ±2^63 ns, about ±9.2e9 s) plus a separate nanosecond part.
import type { Zone } from './go-time-zone';

/** Seconds in a day: Go's time has no leap seconds. */
export const SECONDS_PER_DAY = 86400;
const NS_PER_SECOND = 1_000_000_000;
const MIN_NS = -(2n ** 63n);
const MAX_NS = 2n ** 63n - 1n;
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** An instant in a zone, as Go's time.Time: `sec` unix seconds (floor), `nsec` in [0, 1e9). */
export interface GoTime {
  readonly sec: number;
  readonly nsec: number;
  readonly zone: Zone;
}

/** The wall-clock fields of a GoTime in its zone (month 1–12). */
export interface CivilFields extends DateParts {
  /** 0 = Sunday, as Go's time.Weekday. */
  weekday: number;
  /** 1–366 */
  yday: number;
  /** Seconds east of UTC. */
  offset: number;
  abbrev: string;
}

/** Returns `a` divided by `b`, rounded down (Go's time code works on floors of negative times too). */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Returns `a` modulo `b` in [0, b). */
export function floorMod(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

/** Returns whether `year` is a Gregorian leap year. */
export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Returns the number of days in `month` (1–12) of `year`. */
export function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return (DAYS_BEFORE_MONTH[month] ?? 0) - (DAYS_BEFORE_MONTH[month - 1] ?? 0);
}

/** Returns the days before the first of `month` (1–13) in a non-leap year. */
export function daysBeforeMonth(month: number): number {
  return DAYS_BEFORE_MONTH[month - 1] ?? 0;
}

/** Returns the days from 1970-01-01 to `year`-`month`-01. */
export function daysFromCivil(year: number, month: number): number {
  // Count from March so that the leap day ends the counted year; 146097 days make 400 years.
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = floorDiv(153 * monthFromMarch + 2, 5);
  const dayOfEra = yearOfEra * 365 + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** Returns the civil date of a count of days since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = floorDiv(
    dayOfEra - floorDiv(dayOfEra, 1460) + floorDiv(dayOfEra, 36524) - floorDiv(dayOfEra, 146096),
    365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100));
  const monthFromMarch = floorDiv(5 * dayOfYear + 2, 153);
  const day = dayOfYear - floorDiv(153 * monthFromMarch + 2, 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Returns the wall-clock fields of `t` in its zone (Go's Date, Clock, Weekday, YearDay and Zone). */
export function civilFields(t: GoTime): CivilFields {
  const { offset, abbrev } = t.zone.lookup(t.sec);
  const local = t.sec + offset;
  const days = floorDiv(local, SECONDS_PER_DAY);
  const secondOfDay = local - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
    nsec: t.nsec,
    weekday: floorMod(days + 4, 7),
    yday: days - daysFromCivil(year, 1) + 1,
    offset,
    abbrev,
  };
}

/** The arguments of Go's time.Date; each may be out of its usual range and is normalised as Go does. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nsec: number;
}

/** Returns the instant of a wall-clock time in `zone`, as Go's time.Date (Jan 31 + 1 month is Mar 3 or 2). */
export function goDate(parts: DateParts, zone: Zone): GoTime {
  const month0 = parts.month - 1;
  const year = parts.year + floorDiv(month0, 12);
  const month = floorMod(month0, 12) + 1;
  const second = parts.second + floorDiv(parts.nsec, NS_PER_SECOND);
  const nsec = floorMod(parts.nsec, NS_PER_SECOND);
  const days = daysFromCivil(year, month) + parts.day - 1;
  const wall = days * SECONDS_PER_DAY + parts.hour * 3600 + parts.minute * 60 + second;
  // Go looks up the offset at the wall time read as UTC, then again at the UTC instant that offset gives:
  // the second lookup decides, which picks how a skipped or repeated wall time (DST) resolves.
  const first = zone.lookup(wall).offset;
  const offset = first === 0 ? 0 : zone.lookup(wall - first).offset;
  return { sec: wall - offset, nsec, zone };
}

/** Returns `t` as nanoseconds since the epoch; throws outside int64 nanoseconds (as OPA's toSafeUnixNano). */
export function toUnixNs(t: GoTime): bigint {
  if (!Number.isSafeInteger(t.sec)) throw new RangeError('time outside of valid range');
  const ns = BigInt(t.sec) * BigInt(NS_PER_SECOND) + BigInt(t.nsec);
  if (ns < MIN_NS || ns > MAX_NS) throw new RangeError('time outside of valid range');
  return ns;
}

/** Returns the GoTime of `ns` nanoseconds since the epoch in `zone`. */
export function fromUnixNs(ns: bigint, zone: Zone): GoTime {
  const billion = BigInt(NS_PER_SECOND);
  let sec = ns / billion;
  let nsec = ns % billion;
  if (nsec < 0n) {
    nsec += billion;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec), zone };
}
