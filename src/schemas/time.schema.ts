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
