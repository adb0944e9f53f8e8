import { ReasonCode, RequestError } from '../errors';

// A date (midnight UTC) or a date-time with an explicit zone: a bare local time would mean
// different instants on different machines, which an audit query must never do.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A point in time as callers give it: a Date, or an ISO 8601 date or date-time with a zone. */
export type Instant = Date | string;

/** Returns the instant as Unix milliseconds; throws RequestError 400 bad_request naming the field. */
export function parseInstant(value: Instant, field: string): number {
  const ms = value instanceof Date ? value.getTime() : ISO_INSTANT.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new RequestError(
      ReasonCode.BadRequest,
      400,
      `${field} must be an ISO 8601 date (2026-11-01) or date-time with a zone (2026-11-01T10:00:00Z), got "${String(value)}"`,
    );
  }
  return ms;
}

/** Returns [from, to) in Unix milliseconds; open ends are ±infinity in SQL terms. */
export function parseRange(
  from: Instant | undefined,
  to: Instant | undefined,
): { fromMs?: number; toMs?: number } {
  const fromMs = from === undefined ? undefined : parseInstant(from, 'from');
  const toMs = to === undefined ? undefined : parseInstant(to, 'to');
  if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) {
    throw new RequestError(ReasonCode.BadRequest, 400, 'to must not be before from');
  }
  return { fromMs, toMs };
}
