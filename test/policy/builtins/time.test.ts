import { readFileSync } from 'node:fs';
import { answersOfBoth, type BuiltinAnswer, type BuiltinCase } from '../../helpers/builtin-oracle';
import { parseTzif } from '../../../src/policy/builtins/go-time-zone';
import { intlZone } from '../../../src/policy/builtins/go-time-zone-intl';

// Instants exact as JSON doubles (whole seconds, fewer than 2^53 / 5^9 of them), so both engines see one number.
const input = {
  ny: 'America/New_York',
  t2023: 1700000000000000000,
  leapDay: 1709164800000000000, // 2024-02-29T00:00:00Z
  jan31: 1706659200000000000, // 2024-01-31T00:00:00Z
  dstSpring: 1710054000000000000, // 2024-03-10T07:00:00Z, 03:00 EDT just after the jump
  dstFall: 1730613600000000000, // 2024-11-03T06:00:00Z, 01:00 EST after the fall back
  negative: -1000000000000000000, // 1938-04-24T22:13:20Z
  fraction: 1.5,
  tooBig: 1e19,
  text: 'x',
  empty: [],
  leapDayAlone: [1709164800000000000],
  dstSpringNy: [1710054000000000000, 'America/New_York'],
  dstFallNy: [1730613600000000000, 'America/New_York'],
  // Wall times a day before a DST change in New York: after the jump, inside the skipped hour, in the repeated one.
  eveAfterJumpNy: [1709980200000000000, 'America/New_York'], // 2024-03-09 05:30 EST
  eveSkippedNy: [1709969400000000000, 'America/New_York'], // 2024-03-09 02:30 EST
  eveRepeatedNy: [1730525400000000000, 'America/New_York'], // 2024-11-02 01:30 EDT
  eveSkippedParis: [1711762200000000000, 'Europe/Paris'], // 2024-03-30 02:30 CET
  badLayout: [1700000000000000000, 'UTC', 3],
};

const t = (expr: string): BuiltinCase => ({ expr });

const behaviours: Record<string, BuiltinCase[]> = {
  'parses RFC 3339 times to exact nanoseconds, offsets and fractions included': [
    t('time.parse_rfc3339_ns("2023-11-14T22:13:20.123456789Z") == 1700000000123456789'),
    t('time.parse_rfc3339_ns("2023-11-14T22:13:20Z")'),
    t('time.parse_rfc3339_ns("2023-11-14T23:43:20+01:30") == 1700000000000000000'),
    t('time.parse_rfc3339_ns("1969-12-31T23:59:59.999999999Z") == -1'),
    t('time.parse_rfc3339_ns("1677-09-21T00:12:43.145224192Z") == -9223372036854775808'),
    t('time.parse_rfc3339_ns("2262-04-11T23:47:16.854775807Z") == 9223372036854775807'),
    t('time.parse_rfc3339_ns("2024-02-29T12:00:00,5Z") == 1709208000500000000'),
    t('time.parse_rfc3339_ns("2024-02-29T12:00:00.1234567891234Z") == 1709208000123456789'),
    t('time.parse_rfc3339_ns("2024-02-29T12:00:00+24:00")'),
  ],
  'makes an unparseable or out-of-range RFC 3339 time undefined': [
    t('time.parse_rfc3339_ns("2023-02-29T00:00:00Z")'),
    t('time.parse_rfc3339_ns("2023-11-14 22:13:20Z")'),
    t('time.parse_rfc3339_ns("2023-11-14T22:13:20")'),
    t('time.parse_rfc3339_ns("2023-11-14T24:00:00Z")'),
    t('time.parse_rfc3339_ns("1677-09-21T00:12:43.145224191Z")'),
    t('time.parse_rfc3339_ns("2262-04-11T23:47:16.854775808Z")'),
    t('time.parse_rfc3339_ns("9999-12-31T23:59:59Z")'),
    t('time.parse_rfc3339_ns("2023-11-14T22:13:20Zjunk")'),
    t('time.parse_rfc3339_ns(input.t2023)'),
  ],
  'parses Go reference layouts, named constants and zone abbreviations': [
    t('time.parse_ns("2006-01-02", "2024-02-29")'),
    t('time.parse_ns("Mon Jan _2 15:04:05 2006", "Thu Feb  1 08:09:10 2024")'),
    t('time.parse_ns("ANSIC", "Thu Feb  1 08:09:10 2024")'),
    t('time.parse_ns("RFC1123", "Thu, 01 Feb 2024 08:09:10 GMT")'),
    t('time.parse_ns("RFC1123Z", "Thu, 01 Feb 2024 08:09:10 -0530")'),
    t('time.parse_ns("RFC822", "01 Feb 24 08:09 PST")'),
    t('time.parse_ns("RFC850", "Thursday, 01-Feb-24 08:09:10 UTC")'),
    t('time.parse_ns("UnixDate", "Thu Feb  1 08:09:10 GMT+3 2024")'),
    t('time.parse_ns("RubyDate", "Thu Feb 01 08:09:10 +0100 2024")'),
    t('time.parse_ns("RFC3339Nano", "2024-02-01T08:09:10.5-02:00")'),
    t('time.parse_ns("January 2, 2006 3:04 PM", "march 7, 2024 12:30 am")'),
    t('time.parse_ns("3pm", "12pm")'),
    t('time.parse_ns("02/01/06 15:04:05.000", "31/12/99 23:59:59.123")'),
    t(
      'time.parse_ns("2006-01-02 15:04:05.999999999", "2024-01-01 00:00:00.000000001") == 1704067200000000001',
    ),
    t('time.parse_ns("2006-01-02 15:04:05", "2024-01-01 00:00:00.25")'),
    t('time.parse_ns("2006 002", "2024 060")'),
    t('time.parse_ns("2006 __2", "2023 365")'),
    t('time.parse_ns("2006-01-02T15:04:05Z07", "2024-01-01T00:00:00+05")'),
    t('time.parse_ns("2006-01-02T15:04:05-07:00:00", "2024-01-01T00:00:00-01:02:03")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 CEST")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 +05")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 +13")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 ChST")'),
    t('time.parse_ns("2006-01-02 15:04 MST", "2024-07-01 12:00 UTC")'),
    t('time.parse_ns("2006-01-02 15:04:05 -07:00:00", "2024-01-01 12:00:00 -00:00:01")'),
    t('time.parse_ns("2006-01-02 15:04:05 -07:00:00", "2024-01-01 12:00:00 -00:00:02")'),
    t('time.parse_ns("2006-01-02   15", "2024-07-01 7")'),
    t('time.parse_ns("_2006", "_2024")'),
    t('time.parse_ns("2006-01-02 µ", "2024-07-01 µ")'),
    t('time.parse_ns("", "")'),
  ],
  'makes a value that does not fit its layout undefined': [
    t('time.parse_ns("2006-01-02", "2024-2-29")'),
    t('time.parse_ns("2006-01-02", "2023-02-29")'),
    t('time.parse_ns("2006-01-02", "2024-13-01")'),
    t('time.parse_ns("2006-01-02", "2024-01-01 extra")'),
    t('time.parse_ns("15:04", "25:00")'),
    t('time.parse_ns("3 PM", "13 PM")'),
    t('time.parse_ns("2006 002 01", "2024 060 03")'),
    t('time.parse_ns("2006 002", "2023 366")'),
    t('time.parse_ns("Mon 2006", "Xyz 2024")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 cest")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 +24")'),
    t('time.parse_ns("2006-01-02 MST", "2024-07-01 GMT+24")'),
    t('time.parse_ns("2006-01-02 -07:00", "2024-07-01 +25:00")'),
    t('time.parse_ns("Kitchen", "3:04PM")'),
    t('time.parse_ns("2006", "0001")'),
    t('time.parse_ns(input.t2023, "2024")'),
  ],
  'parses Go durations, fractions and micro signs included': [
    t('time.parse_duration_ns("1h30m")'),
    t('time.parse_duration_ns("-1.5h")'),
    t('time.parse_duration_ns("300ms")'),
    t('time.parse_duration_ns("2us")'),
    t('time.parse_duration_ns("2µs")'),
    t('time.parse_duration_ns("2μs")'),
    t('time.parse_duration_ns("+.5s")'),
    t('time.parse_duration_ns("1.s")'),
    t('time.parse_duration_ns("0")'),
    t('time.parse_duration_ns("-0")'),
    t('time.parse_duration_ns("1h1m1s1ms1us1ns")'),
    t('time.parse_duration_ns("0.3333333333333333333h")'),
    t('time.parse_duration_ns("9223372036854775807ns") == 9223372036854775807'),
    t('time.parse_duration_ns("-9223372036854775808ns") == -9223372036854775808'),
    t('time.parse_duration_ns("2562047h47m16.854775807s") == 9223372036854775807'),
    t('time.parse_duration_ns("1.00000000000000000000000001s")'),
    t('time.parse_duration_ns("1d")'),
    t('time.parse_duration_ns("-1.5d")'),
    t('time.parse_duration_ns("2w1d1us")'),
    t('time.parse_duration_ns("1y")'),
    t('time.parse_duration_ns("0.3333333333333333333y")'),
    t('time.parse_duration_ns("292y")'),
    t('time.parse_duration_ns("1d1µs")'),
    t('time.parse_duration_ns("1μs")'),
  ],
  'makes a malformed or overflowing duration undefined': [
    t('time.parse_duration_ns("")'),
    t('time.parse_duration_ns("1")'),
    t('time.parse_duration_ns("1x")'),
    t('time.parse_duration_ns(".s")'),
    t('time.parse_duration_ns("1h ")'),
    t('time.parse_duration_ns("9223372036854775808ns")'),
    t('time.parse_duration_ns("2562048h")'),
    t('time.parse_duration_ns("2562047h47m16.854775808s")'),
    t('time.parse_duration_ns("-")'),
    t('time.parse_duration_ns("293y")'),
    t('time.parse_duration_ns("1d1μs")'),
    t('time.parse_duration_ns("1μs1w")'),
    t('time.parse_duration_ns("1D")'),
    t('time.parse_duration_ns("1mo")'),
  ],
  'answers date, clock and weekday in UTC or a named zone': [
    t('time.date(input.t2023)'),
    t('time.clock(input.t2023)'),
    t('time.weekday(input.t2023)'),
    t('time.date(0)'),
    t('time.clock([0, "Asia/Kolkata"])'),
    t('time.clock([0, "Asia/Kathmandu"])'),
    t('time.date([input.t2023, "Pacific/Kiritimati"])'),
    t('time.weekday([input.t2023, "Pacific/Pago_Pago"])'),
    t('time.clock([input.t2023, ""])'),
    t('time.clock([input.t2023, "UTC"])'),
    t('time.clock([input.t2023, "Local"])'),
    t('time.clock([input.t2023, "US/Eastern"])'),
    t('time.clock([input.t2023, "Europe/Paris"])'),
    t('time.clock([input.t2023, "posix/Asia/Tokyo"])'),
    t('time.clock([input.t2023, "localtime"])'),
    t('time.clock([input.t2023, "Etc/GMT+5"])'),
    t('time.clock([input.dstSpring, input.ny])'),
    t('time.clock([input.dstFall, input.ny])'),
    t('time.clock([input.t2023 + 3600000000000 * 24 * 365 * 100, "Europe/Paris"])'),
    t('time.clock([3600000000000 * 24 * 200, "Australia/Lord_Howe"])'),
    t('time.date(input.negative)'),
    t('time.clock([input.negative, "Europe/Amsterdam"])'),
    t('time.clock(-1)'),
    t('time.date(-9223372036854775808)'),
    t('time.clock([-5000000000000000000, "America/New_York"])'),
    t('time.weekday(input.leapDayAlone)'),
  ],
  'makes a bad time or zone argument undefined': [
    t('time.add_date(0, 0, 1e2, 0)'),
    t('time.add_date(0, 0, 1.5, 0)'),
    t('time.date(1700000000000000000.5)'),
    t('time.clock(input.fraction)'),
    t('time.clock(input.tooBig)'),
    t('time.clock([input.t2023, "america/new_york"])'),
    t('time.clock([input.t2023, "Mars/Olympus"])'),
    t('time.clock([input.t2023, "+05:00"])'),
    t('time.clock([input.t2023, "PST"])'),
    t('time.clock([input.t2023, "us/eastern"])'),
    t('time.clock([input.t2023, "../zoneinfo/UTC"])'),
    t('time.clock([input.t2023, "America"])'),
    t('time.clock([input.t2023, "zone.tab"])'),
    t('time.clock(input.text)'),
    t('time.date(input.empty)'),
  ],
  'adds years, months and days as Go normalises them': [
    t('time.add_date(input.jan31, 0, 1, 0)'),
    t('time.add_date(input.leapDay, 1, 0, 0)'),
    t('time.add_date(input.leapDay, -4, 0, 0)'),
    t('time.add_date(input.t2023, 0, 0, -36500)'),
    t('time.add_date(input.t2023, 0, -14, 400)'),
    t('time.add_date(1700000000123456768, 0, 0, 1) == 1700086400123456768'),
    t('time.add_date(input.dstSpringNy, 0, 0, -1)'),
    t('time.add_date(input.dstFallNy, 0, 0, 1)'),
    t('time.add_date(input.eveAfterJumpNy, 0, 0, 1)'),
    t('time.add_date(input.eveSkippedNy, 0, 0, 1)'),
    t('time.add_date(input.eveRepeatedNy, 0, 0, 1)'),
    t('time.add_date(input.eveSkippedParis, 0, 0, 1)'),
    t('time.add_date(0, 0, 1.0, 0)'),
    t('time.add_date(0, 0, 100.00, 0)'),
    t('time.format(1.7e18)'),
    t('time.date(8.64e13)'),
    t('time.format(1700000000123456789)'),
    t('time.add_date(input.t2023, 300, 0, 0)'),
    t('time.add_date(input.t2023, 0, 0, 0.5)'),
  ],
  'counts the difference between two times from the earlier, in the first zone': [
    t('time.diff(input.t2023, 0)'),
    t('time.diff(0, input.t2023)'),
    t('time.diff(input.jan31, input.leapDay)'),
    t('time.diff(input.leapDay, input.jan31)'),
    t('time.diff([input.t2023, "Asia/Tokyo"], [input.negative, "America/Los_Angeles"])'),
    t('time.diff([input.dstSpring, input.ny], [input.dstFall, "UTC"])'),
    t('time.diff(input.t2023, input.t2023)'),
    t('time.diff(input.t2023, input.fraction)'),
  ],
  'formats with RFC 3339 by default, Go layouts and named constants': [
    t('time.format(input.t2023)'),
    t('time.format(1700000000123456768)'),
    t('time.format([1700000000123456000, "Asia/Kolkata"])'),
    t('time.format([input.t2023, "America/New_York", "Mon, 02 Jan 2006 15:04:05 MST"])'),
    t('time.format([input.t2023, "Europe/Paris", "RFC1123Z"])'),
    t('time.format([input.t2023, "Asia/Dubai", "UnixDate"])'),
    t('time.format([input.dstSpring, input.ny, "RFC850"])'),
    t('time.format([input.t2023, "UTC", "Kitchen"])'),
    t('time.format([input.t2023, "", "3:04:05pm .000 ,999 .9 __2 002 _2 06 January Monday"])'),
    t('time.format([1700000000120000000, "UTC", "05.000000 05.999999 05,9 Z0700 Z07:00:00 -07"])'),
    t('time.format([input.t2023, "America/St_Johns", "-070000 -07:00:00 Z07 MST"])'),
    t('time.format([input.negative, "Europe/Amsterdam", "2006-01-02T15:04:05 -07:00:00 MST"])'),
    t('time.format([-9223372036854775808, "UTC", "RFC3339Nano"])'),
    t('time.format([input.t2023, "Local", ""])'),
    t('time.format([input.t2023, "UTC", "Janx Mond µ 2006"])'),
  ],
  'makes a bad format argument undefined': [
    t('time.format([input.t2023, "Nowhere/Zone"])'),
    t('time.format(input.badLayout)'),
    t('time.format(input.fraction)'),
  ],
};

const cases = Object.values(behaviours).flat();
let answers: Map<string, BuiltinAnswer>;

beforeAll(async () => {
  answers = new Map((await answersOfBoth(cases, input)).map((a) => [a.expr, a]));
});

it('has cases OPA mostly answers, so that agreeing cannot mean both undefined', () => {
  const defined = cases.filter((c) => answers.get(c.expr)?.opa !== undefined);
  expect(answers.size).toBe(cases.length);
  expect(defined.length / cases.length).toBeGreaterThan(0.6);
  // Comparisons inside Rego must be true in OPA, or they would prove nothing.
  const comparisons = cases.filter((c) => c.expr.includes(' == '));
  expect(comparisons.map((c) => [c.expr, answers.get(c.expr)?.opa])).toEqual(
    comparisons.map((c) => [c.expr, true]),
  );
});

it.each(Object.entries(behaviours))('%s, as OPA does', (name, group) => {
  const got = group.map((c) => answers.get(c.expr));
  // A group named for undefined answers must be undefined in OPA first, or it would test something else.
  if (name.endsWith('undefined')) expect(got.filter((a) => a?.opa !== undefined)).toEqual([]);
  expect(got.map((a) => [a?.expr, a?.wasm])).toEqual(got.map((a) => [a?.expr, a?.opa]));
});

it('answers time.now_ns within the evaluation and the same each time it is asked', async () => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const [now] = await answersOfBoth([
    { expr: 'x', rules: 'x := [a, b] if {\n  a := time.now_ns()\n  b := time.now_ns()\n}' },
  ]);
  const after = BigInt(Date.now() + 1) * 1_000_000n;
  const [a, b] = now!.wasm as [number, number];
  expect(a).toBe(b);
  expect(BigInt(a)).toBeGreaterThanOrEqual(before - 1_000_000n);
  expect(BigInt(a)).toBeLessThanOrEqual(after);
});

describe('on a machine without zone files (ICU stands in for them)', () => {
  const zones = [
    'America/New_York',
    'Europe/Dublin',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
  ];

  it.each(zones)('gives %s the offsets its zone file gives, from 1970 to 2200', (name) => {
    const file = parseTzif(readFileSync(`/usr/share/zoneinfo/${name}`));
    expect(file).toBeDefined();
    const icu = intlZone(name);
    // Every 1,000,003 s (about 11.6 days, never a whole number of days) samples every time of day and season.
    const instants = Array.from({ length: 7200 }, (_, i) => i * 1_000_003);
    expect(instants.filter((sec) => icu.lookup(sec).offset !== file!.lookup(sec).offset)).toEqual([]);
  });

  it('refuses names ICU reads that Go does not: any letter case, fixed offsets, ICU-only abbreviations', () => {
    for (const name of ['america/new_york', 'us/eastern', '+05:00', 'PST', 'IST']) {
      expect(() => intlZone(name)).toThrow();
    }
    expect(intlZone('US/Eastern').lookup(0).offset).toBe(-5 * 3600);
    expect(intlZone('EST5EDT').lookup(1720000000).abbrev).toBe('EDT');
    expect(intlZone('Asia/Dubai').lookup(0).abbrev).toBe('+04');
  });
});
