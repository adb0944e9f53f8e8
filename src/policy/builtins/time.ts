// OPA's time.* builtins (topdown/time.go in OPA v1.22.2) on Go's time semantics, which go-time-*.ts rebuild.
import { RegoNumber } from './rego-value';
import { stringOperand } from './strings';
import { RawJson, type BuiltinTable, type EvaluationContext } from './builtin';
import { civilFields, fromUnixNs, goDate, toUnixNs, type GoTime } from './go-time-civil';
import { parseDuration } from './go-time-duration';
import { formatTime, LONG_DAYS, NAMED_LAYOUTS } from './go-time-layout';
import { parseTime } from './go-time-parse';
import { loadZone, UTC } from './go-time-zone';

const RFC3339_NANO = NAMED_LAYOUTS.RFC3339Nano!;

/** The time builtins, by their Rego names. */
export const timeBuiltins: BuiltinTable = {
  'time.now_ns': (context: EvaluationContext) => new RawJson(context.nowNs.toString()),
  'time.parse_ns': (_context, layout, value) =>
    nanoseconds(parseTime(byteString(namedLayout(stringOperand(layout))), byteString(stringOperand(value)))),
  'time.parse_rfc3339_ns': (_context, value) =>
    nanoseconds(parseTime(NAMED_LAYOUTS.RFC3339!, byteString(stringOperand(value)))),
  'time.parse_duration_ns': (_context, duration) =>
    new RawJson(parseDuration(byteString(stringOperand(duration))).toString()),
  'time.date': (_context, x) => {
    const f = civilFields(timeArg(x).time);
    return [f.year, f.month, f.day];
  },
  'time.clock': (_context, x) => {
    const f = civilFields(timeArg(x).time);
    return [f.hour, f.minute, f.second];
  },
  'time.weekday': (_context, x) => LONG_DAYS[civilFields(timeArg(x).time).weekday],
  'time.add_date': (_context, x, years, months, days) => {
    const { time } = timeArg(x);
    const f = civilFields(time);
    const parts = {
      ...f,
      year: f.year + intArg(years),
      month: f.month + intArg(months),
      day: f.day + intArg(days),
    };
    return nanoseconds(goDate(parts, time.zone));
  },
  'time.diff': (_context, x, y) => diff(timeArg(x).time, timeArg(y).time),
  'time.format': (_context, x) => {
    const { time, layout } = timeArg(x);
    const goLayout = layout === '' ? RFC3339_NANO : namedLayout(layout);
    return jsString(formatTime(time, byteString(goLayout)));
  },
};

// OPA's time.diff: whole years, months, days, hours, minutes and seconds between two instants, in the first
// one's zone, earlier to later (so never negative), borrowing as one does by hand.
function diff(a: GoTime, b: GoTime): number[] {
  const [early, late] =
    toUnixNs(a) <= toUnixNs(b) ? [a, { ...b, zone: a.zone }] : [{ ...b, zone: a.zone }, a];
  const from = civilFields(early);
  const to = civilFields(late);
  let [years, months, days] = [to.year - from.year, to.month - from.month, to.day - from.day];
  let [hours, minutes, seconds] = [to.hour - from.hour, to.minute - from.minute, to.second - from.second];
  if (seconds < 0) [seconds, minutes] = [seconds + 60, minutes - 1];
  if (minutes < 0) [minutes, hours] = [minutes + 60, hours - 1];
  if (hours < 0) [hours, days] = [hours + 24, days - 1];
  // A borrowed month is as long as the earlier instant's month (in UTC terms, as OPA counts it).
  if (days < 0) [days, months] = [days + daysInMonth(from.year, from.month), months - 1];
  if (months < 0) [months, years] = [months + 12, years - 1];
  return [years, months, days, hours, minutes, seconds];
}

function daysInMonth(year: number, month: number): number {
  return 32 - civilFields(goDate({ year, month, day: 32, hour: 0, minute: 0, second: 0, nsec: 0 }, UTC)).day;
}

// OPA's tzTime: a number of nanoseconds, or [ns], [ns, zone] or [ns, zone, layout] (extra elements ignored).
function timeArg(x: unknown): { time: GoTime; layout: string } {
  if (isNumber(x)) return { time: fromUnixNs(exactNs(x), UTC), layout: '' };
  if (!Array.isArray(x) || x.length === 0 || !isNumber(x[0])) {
    throw new TypeError('operand 1 must be either number (ns) or [number (ns), string (tz)]');
  }
  const zone = x.length > 1 ? loadZone(stringOperand(x[1])) : UTC;
  const layout = x.length > 2 ? stringOperand(x[2]) : '';
  return { time: fromUnixNs(exactNs(x[0]), zone), layout };
}

// The time builtins get numbers as the module wrote them (index.ts, EXACT_NUMBERS): nanoseconds past 2^53 stay
// exact, and a number written with a fraction or an exponent is no integer to OPA.
const isNumber = (x: unknown): x is number | RegoNumber => typeof x === 'number' || x instanceof RegoNumber;

// The integer a number's text stands for (1.0, 1.7e18), or a throw when it has a fraction or is huge.
function integerOf(n: number | RegoNumber): bigint {
  const text = typeof n === 'number' ? String(n) : n.text;
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new RangeError('not a number');
  const [, sign, whole, fraction = '', exp = '0'] = m;
  const shift = Number(exp) - fraction.length;
  if (shift > 40) throw new RangeError('timestamp too big');
  const digits = whole! + fraction;
  const kept = shift >= 0 ? digits + '0'.repeat(shift) : digits.slice(0, shift);
  if (shift < 0 && /[1-9]/.test(digits.slice(shift))) throw new RangeError('not an integer');
  return BigInt(`${sign}${kept || '0'}`);
}

// OPA needs an integer that fits int64 ("timestamp too big" otherwise); 1.5 and 1e19 are both refused.
function exactNs(n: number | RegoNumber): bigint {
  const ns = integerOf(n);
  if (ns < -(2n ** 63n) || ns >= 2n ** 63n) throw new RangeError('timestamp too big');
  return ns;
}

// time.add_date's counts: OPA reads 1.0 as an integer but not 1e2 (a timestamp may be written either way).
function intArg(n: unknown): number {
  if (!isNumber(n) || (n instanceof RegoNumber && /[eE]/.test(n.text))) {
    throw new TypeError('operand must be an integer');
  }
  return Number(integerOf(n));
}

function namedLayout(layout: string): string {
  return Object.hasOwn(NAMED_LAYOUTS, layout) ? NAMED_LAYOUTS[layout]! : layout;
}

function nanoseconds(t: GoTime): RawJson {
  return new RawJson(toUnixNs(t).toString());
}

// Go works on UTF-8 bytes; one char per byte keeps byte-wise slicing and comparison Go's.
function byteString(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function jsString(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}
