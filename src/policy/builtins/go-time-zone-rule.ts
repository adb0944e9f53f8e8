// The POSIX TZ rule at the end of a TZif file (e.g. "EST5EDT,M3.2.0,M11.1.0"), read as Go's tzset reads it:
// it decides the offset after the file's last transition, which in current files is every DST change to come.
import {
  civilFromDays,
  daysBeforeMonth,
  daysFromCivil,
  daysIn,
  floorDiv,
  isLeap,
  SECONDS_PER_DAY,
} from './go-time-civil';
import type { ZoneInfo } from './go-time-zone';

interface Rule {
  kind: 'julian' | 'day-of-year' | 'month-week-day';
  day: number;
  week: number;
  month: number;
  /** Seconds after local midnight. */
  time: number;
}

interface Cursor {
  s: string;
}

interface ParsedRule {
  std: ZoneInfo;
  dst?: { info: ZoneInfo; start: Rule; end: Rule };
}

// Each zone file has one rule, and lookups after its last transition (most of today's) all read it.
const parsed = new Map<string, ParsedRule | null>();

/** Returns the zone info a POSIX TZ rule gives at `sec` unix seconds, or undefined when Go cannot read the rule. */
export function posixRuleLookup(rule: string, sec: number): ZoneInfo | undefined {
  let p = parsed.get(rule);
  if (p === undefined) {
    p = parseRule(rule) ?? null;
    parsed.set(rule, p);
  }
  if (p === null) return undefined;
  if (!p.dst) return p.std;
  const { std } = p;
  const { info: dst, start: startRule, end: endRule } = p.dst;
  const days = floorDiv(sec, SECONDS_PER_DAY);
  const { year } = civilFromDays(days);
  const yearStart = daysFromCivil(year, 1) * SECONDS_PER_DAY;
  const secondOfYear = sec - yearStart;
  const start = ruleTime(year, startRule, std.offset);
  const end = ruleTime(year, endRule, dst.offset);
  // Southern hemisphere: DST spans the new year, so the year's middle is standard time.
  if (end < start) return secondOfYear < end || secondOfYear >= start ? dst : std;
  return secondOfYear < start || secondOfYear >= end ? std : dst;
}

function parseRule(rule: string): ParsedRule | undefined {
  const c: Cursor = { s: rule };
  const stdName = readName(c);
  if (stdName === undefined) return undefined;
  const stdOffset = readOffset(c);
  if (stdOffset === undefined) return undefined;
  // POSIX offsets are west of UTC; Go's (and ours) are east.
  const std: ZoneInfo = { abbrev: stdName, offset: -stdOffset, isDst: false };
  if (c.s === '' || c.s.startsWith(',')) return { std };
  const dstName = readName(c);
  if (dstName === undefined) return undefined;
  let dstOffset = std.offset + 3600;
  if (c.s !== '' && !c.s.startsWith(',')) {
    const offset = readOffset(c);
    if (offset === undefined) return undefined;
    dstOffset = -offset;
  }
  // tzcode's default rules (the US rules) when the string names DST but gives no dates.
  if (c.s === '') c.s = ',M3.2.0,M11.1.0';
  if (!c.s.startsWith(',') && !c.s.startsWith(';')) return undefined;
  c.s = c.s.slice(1);
  const start = readRule(c);
  if (start === undefined || !c.s.startsWith(',')) return undefined;
  c.s = c.s.slice(1);
  const end = readRule(c);
  if (end === undefined || c.s !== '') return undefined;
  return { std, dst: { info: { abbrev: dstName, offset: dstOffset, isDst: true }, start, end } };
}

// Returns when a rule fires in `year`, in seconds after the year's start in UTC.
function ruleTime(year: number, rule: Rule, offset: number): number {
  let day: number;
  if (rule.kind === 'julian') {
    day = rule.day - 1 + (isLeap(year) && rule.day >= 60 ? 1 : 0);
  } else if (rule.kind === 'day-of-year') {
    day = rule.day;
  } else {
    const monthStart = daysFromCivil(year, rule.month);
    const firstWeekday = (((monthStart + 4) % 7) + 7) % 7;
    let dayOfMonth = (rule.day - firstWeekday + 7) % 7;
    // Week 5 means the last such weekday of the month.
    for (let i = 1; i < rule.week; i++) {
      if (dayOfMonth + 7 >= daysIn(rule.month, year)) break;
      dayOfMonth += 7;
    }
    day = dayOfMonth + daysBeforeMonth(rule.month) + (isLeap(year) && rule.month > 2 ? 1 : 0);
  }
  return day * SECONDS_PER_DAY + rule.time - offset;
}

function readName(c: Cursor): string | undefined {
  if (c.s.startsWith('<')) {
    const close = c.s.indexOf('>');
    if (close < 0) return undefined;
    const name = c.s.slice(1, close);
    c.s = c.s.slice(close + 1);
    return name;
  }
  const end = c.s.search(/[0-9,+-]/);
  const length = end < 0 ? c.s.length : end;
  if (length < 3) return undefined;
  const name = c.s.slice(0, length);
  c.s = c.s.slice(length);
  return name;
}

function readOffset(c: Cursor): number | undefined {
  if (c.s === '') return undefined;
  const negative = c.s.startsWith('-');
  if (negative || c.s.startsWith('+')) c.s = c.s.slice(1);
  const hours = readNumber(c, 0, 24 * 7);
  if (hours === undefined) return undefined;
  let offset = hours * 3600;
  for (const [unit, max] of [
    [60, 59],
    [1, 59],
  ] as const) {
    if (!c.s.startsWith(':')) break;
    c.s = c.s.slice(1);
    const n = readNumber(c, 0, max);
    if (n === undefined) return undefined;
    offset += n * unit;
  }
  return negative ? -offset : offset;
}

function readRule(c: Cursor): Rule | undefined {
  const rule: Rule = { kind: 'day-of-year', day: 0, week: 0, month: 0, time: 2 * 3600 };
  if (c.s.startsWith('J')) {
    c.s = c.s.slice(1);
    const day = readNumber(c, 1, 365);
    if (day === undefined) return undefined;
    Object.assign(rule, { kind: 'julian', day });
  } else if (c.s.startsWith('M')) {
    c.s = c.s.slice(1);
    const month = readNumber(c, 1, 12);
    if (month === undefined || !c.s.startsWith('.')) return undefined;
    c.s = c.s.slice(1);
    const week = readNumber(c, 1, 5);
    if (week === undefined || !c.s.startsWith('.')) return undefined;
    c.s = c.s.slice(1);
    const day = readNumber(c, 0, 6);
    if (day === undefined) return undefined;
    Object.assign(rule, { kind: 'month-week-day', day, week, month });
  } else {
    const day = readNumber(c, 0, 365);
    if (day === undefined) return undefined;
    rule.day = day;
  }
  if (!c.s.startsWith('/')) return rule;
  c.s = c.s.slice(1);
  const time = readOffset(c);
  if (time === undefined) return undefined;
  rule.time = time;
  return rule;
}

function readNumber(c: Cursor, min: number, max: number): number | undefined {
  const digits = /^[0-9]+/.exec(c.s)?.[0];
  if (digits === undefined) return undefined;
  let n = 0;
  for (const digit of digits) {
    n = n * 10 + Number(digit);
    if (n > max) return undefined;
  }
  if (n < min) return undefined;
  c.s = c.s.slice(digits.length);
  return n;
}
