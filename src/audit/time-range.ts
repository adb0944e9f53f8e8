import { ReasonCode, RequestError } from '../errors';

// RFC 3339: a full-date (midnight UTC) or a date-time with an explicit zone, `T` and `Z` in either case, or a
// space for the `T` (RFC 3339's note). A bare local time would mean different instants on different machines,
// which an audit query must never do. The OpenAPI document names the JSON Schema formats `date` and `date-time`,
// which are this grammar; ajv-formats also takes `+0100`, `+01` and a tab, which are not RFC 3339 and which this
// refuses (a replay body that passes ajv with one gets this function's 400).
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2})))?$/;

/** A point in time as callers give it: a Date, or an RFC 3339 date or date-time with a zone. */
export type Instant = Date | string;

/** Returns the instant as Unix milliseconds; throws RequestError 400 bad_request naming the field. */
export function parseInstant(value: Instant, field: string): number {
  const ms = value instanceof Date ? value.getTime() : rfc3339Ms(value);
  if (ms === undefined || Number.isNaN(ms)) {
    throw new RequestError(
      ReasonCode.BadRequest,
      400,
      `${field} must be an RFC 3339 date (2026-11-01) or date-time with a zone (2026-11-01T10:00:00Z), got "${String(value)}"`,
    );
  }
  return ms;
}

// Date.parse would take 2026-02-30 for March 2 and 24:00 for the next day: each field is checked here instead.
function rfc3339Ms(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (m[4] === undefined) return date.getTime();
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  const numericOffset = m[8] === undefined;
  const offsetHours = numericOffset ? Number(m[10]) : 0;
  const offsetMinutes = numericOffset ? Number(m[11]) : 0;
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const utcMinutes = hour * 60 + minute - (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  // RFC 3339's leap second, 23:59:60 UTC (as ajv-formats takes it), counts as the last millisecond of its minute.
  if (second === 60 && (utcMinutes + 1440) % 1440 !== 23 * 60 + 59) return undefined;
  const millis = second === 60 ? 59_999 : second * 1000 + Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  return date.getTime() + utcMinutes * 60_000 + millis;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
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
