import { escapeLiteral } from 'pg';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** One model's counters as the read returns them. */
export type ModelCountersRow = { model: string; minute: number; hour: number; day: number };

/**
 * Returns the SQL that reads a subject's counters per model at `nowMs`, as MemoryUsageTracker counts them:
 * requests with `at_ms > nowMs - 60 s`, tokens with `at_ms > nowMs - 1 h` and of the day, where a held
 * (unreported) reservation's tokens count only while `at_ms >= nowMs - holdMs` (the reservation TTL) and a
 * settled one's for the whole day.
 *
 * Why this shape: summing the subject's reservations of the whole day costs one row per decision of
 * the day, under the subject's lock. Each window `at_ms > lo` is instead the minute buckets
 * (usage_minutes, kept by triggers, usage migrations 2 and 3, one per `held`) wholly inside it,
 * `minute > floor(lo / 60 s)`, plus the reservations of the one minute the edge cuts,
 * `lo < at_ms < (floor(lo / 60 s) + 1) * 60 s`; held and settled reservations each with their own `lo`.
 * The same rows are counted, so the result is the same: at most a day of buckets per model and a few
 * edge minutes of reservations, whatever the day's volume. Token sums are exact while tokens are
 * integers (float8 holds them exactly up to 2^53), as /v1/decide's schema and reports make them. The
 * Data API accepts a fractional input_tokens: its sums are float sums either way, and may differ from
 * the full scan's in the last bits (whose own order of addition was the scan's).
 */
export function countersSql(subject: string, nowMs: number, holdMs: number): string {
  const s = escapeLiteral(subject);
  const day = int(nowMs - DAY_MS);
  // A held reservation counts at exactly holdMs of age (as in SlidingWindow), so from holdMs + 1 ms it does not.
  const held = Math.max(int(nowMs - Math.min(holdMs, DAY_MS) - 1), day);
  const hour = Math.max(int(nowMs - HOUR_MS), day);
  const heldHour = Math.max(hour, held);
  const minute = Math.max(int(nowMs - MINUTE_MS), day);
  const edge = (lo: number, total: string, which: string) =>
    `SELECT model, ${total} AS n FROM usage_reservations
      WHERE subject = ${s} AND at_ms > ${lo} AND at_ms < ${(minuteOf(lo) + 1) * MINUTE_MS}${which}
      GROUP BY model`;
  return `
    WITH whole AS (
      SELECT model,
             sum(requests) FILTER (WHERE minute > ${minuteOf(minute)}) AS requests_minute,
             sum(tokens) FILTER (WHERE minute > CASE WHEN held THEN ${minuteOf(heldHour)}
                                                    ELSE ${minuteOf(hour)} END) AS tokens_hour,
             sum(tokens) FILTER (WHERE minute > CASE WHEN held THEN ${minuteOf(held)}
                                                    ELSE ${minuteOf(day)} END) AS tokens_day
        FROM usage_minutes WHERE subject = ${s} AND minute > ${minuteOf(day)}
       GROUP BY model),
    edge_minute AS (${edge(minute, 'count(*)', '')}),
    edge_hour AS (${edge(hour, 'sum(tokens)', ' AND NOT held')}
      UNION ALL ${edge(heldHour, 'sum(tokens)', ' AND held')}),
    edge_day AS (${edge(day, 'sum(tokens)', ' AND NOT held')}
      UNION ALL ${edge(held, 'sum(tokens)', ' AND held')}),
    parts (model, requests_minute, tokens_hour, tokens_day) AS (
      SELECT model, requests_minute, tokens_hour, tokens_day FROM whole
      UNION ALL SELECT model, n, NULL, NULL FROM edge_minute
      UNION ALL SELECT model, NULL, n, NULL FROM edge_hour
      UNION ALL SELECT model, NULL, NULL, n FROM edge_day)
    SELECT model, coalesce(sum(requests_minute), 0)::int AS minute,
           coalesce(sum(tokens_hour), 0)::float8 AS hour, coalesce(sum(tokens_day), 0)::float8 AS day
      FROM parts GROUP BY model`;
}

/** Returns floor(ms / 60 s) in integer arithmetic (as the buckets' floor(at_ms / 60000.0)). */
export function minuteOf(ms: number): number {
  return (ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS)) / MINUTE_MS;
}

// Numbers go into SQL text only through this check.
function int(value: number): number {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return value;
}
