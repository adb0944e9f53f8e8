/**
 * The time values of the API, as JSON Schema: what `parseInstant` (src/audit/time-range.ts) and `parseSince`
 * (src/audit/relative-time.ts) take, so that the OpenAPI document and the replay body say exactly that.
 */

/** A look-back duration: 30m, 24h, 7d, 4w. */
export const DURATION_PATTERN = '^(\\d{1,6})([mhdw])$';

/** An RFC 3339 date (midnight UTC) or date-time with a zone. */
export const instantSchema = {
  type: 'string',
  anyOf: [{ format: 'date' }, { format: 'date-time' }],
} as const;

/** The start of a period: a look-back duration or an instant. */
export const sinceSchema = {
  type: 'string',
  anyOf: [{ pattern: DURATION_PATTERN }, { format: 'date' }, { format: 'date-time' }],
} as const;

/** Returns the schema of a status time: an RFC 3339 date-time, or null for "never". */
export const nullableTime = (description: string) =>
  ({
    type: ['string', 'null'],
    format: 'date-time',
    description,
    examples: ['2026-11-29T10:00:00.000Z'],
  }) as const;
