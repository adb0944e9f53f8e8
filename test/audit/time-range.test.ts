import { parseSince } from '../../src/audit/relative-time';
import { parseInstant } from '../../src/audit/time-range';
import { instantSchema } from '../../src/schemas/time.schema';
import { compileValidator } from '../../src/schemas/validators';

// RFC 3339 dates and date-times, as the OpenAPI document's `date` and `date-time` formats say. Date.parse, used
// before, took 2026-02-30 for March 2 and 24:00 for the next day's midnight, and refused a lower-case `t`.

const TAKEN = [
  ['2026-11-01', '2026-11-01T00:00:00.000Z'],
  ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ['2000-02-29', '2000-02-29T00:00:00.000Z'],
  ['2026-11-01T10:00:00Z', '2026-11-01T10:00:00.000Z'],
  ['2026-11-01t10:00:00z', '2026-11-01T10:00:00.000Z'],
  ['2026-11-01 10:00:00Z', '2026-11-01T10:00:00.000Z'],
  ['2026-11-01T10:00:00.5+01:00', '2026-11-01T09:00:00.500Z'],
  ['2026-11-01T10:00:00.123456789-02:30', '2026-11-01T12:30:00.123Z'],
  ['2026-12-31T23:59:60Z', '2026-12-31T23:59:59.999Z'],
  ['2027-01-01T00:59:60+01:00', '2026-12-31T23:59:59.999Z'],
  ['0001-01-01', '0001-01-01T00:00:00.000Z'],
] as const;

const REFUSED = [
  '2026-02-30',
  '2023-02-29',
  '1900-02-29',
  '2026-04-31',
  '2026-13-01',
  '2026-00-10',
  '2026-11-01T24:00:00Z',
  '2026-11-01T10:60:00Z',
  '2026-11-01T10:59:60Z',
  '2026-11-01T10:00:00+24:00',
  '2026-11-01T10:00:00+01:60',
  '2026-11-01T10:00Z',
  '2026-11-01T10:00:00',
  '2026-11-01T10:00:00.Z',
  '26-11-01',
  '',
];

describe('parseInstant', () => {
  it.each(TAKEN)('takes %s as %s', (text, iso) => {
    expect(new Date(parseInstant(text, 'from')).toISOString()).toBe(iso);
  });

  it.each(REFUSED)('refuses %j with a 400 that names the field', (text) => {
    expect(() => parseInstant(text, 'until')).toThrow(
      expect.objectContaining({
        status: 400,
        message: expect.stringMatching(/^until must be an RFC 3339 date/),
      }),
    );
  });

  // ajv-formats, which checks the replay body, is looser than RFC 3339's grammar here; the parser is not.
  it.each(['2026-11-01T10:00:00+0100', '2026-11-01T10:00:00+01', '2026-11-01\t10:00:00Z'])(
    'refuses %j, which ajv-formats takes but RFC 3339 does not',
    (text) => {
      expect(() => parseInstant(text, 'until')).toThrow(/^until must be an RFC 3339 date/);
    },
  );

  it('passes a Date through', () => {
    expect(parseInstant(new Date(5), 'from')).toBe(5);
  });

  // What a client checks against the OpenAPI document is what the server takes, on every string above.
  const documented = compileValidator<string>(instantSchema);
  it.each([
    ...TAKEN.map(([text]) => [text, true] as const),
    ...REFUSED.map((text) => [text, false] as const),
  ])('the document says of %j what the parser does (%s)', (text, taken) => {
    expect(documented(text)).toBe(taken);
  });
});

describe('parseSince', () => {
  it('takes a duration back from now, or an instant', () => {
    expect(parseSince('30m', 3_600_000)).toBe(1_800_000);
    expect(parseSince('2w', 14 * 86_400_000)).toBe(0);
    expect(parseSince('1970-01-02', 0)).toBe(86_400_000);
  });

  it('refuses anything else, naming both forms', () => {
    expect(() => parseSince('1y', 0)).toThrow(/since must be a duration \(30m, 24h, 7d, 4w\) or an RFC 3339/);
    expect(() => parseSince('2026-02-30', 0)).toThrow(/since must be a duration/);
  });
});
