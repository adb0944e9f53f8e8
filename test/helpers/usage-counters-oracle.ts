import type { Pool, PoolClient } from 'pg';
import { countersSql, type ModelCountersRow } from '../../src/postgres/pg-usage-counters';

/**
 * Returns a subject's counters per model the way PgUsageTracker read them before usage migration 2:
 * one sum over every reservation of the subject's window. The oracle of the bucketed read (and its
 * "before" in bench/usage-read.bench.ts); sorted by model.
 */
export async function fullScanCounters(
  db: Pool | PoolClient,
  subject: string,
  nowMs: number,
  windowMs: number,
): Promise<ModelCountersRow[]> {
  const { rows } = await db.query<ModelCountersRow>(
    `SELECT model,
            count(*) FILTER (WHERE at_ms > $2)::int AS minute,
            coalesce(sum(tokens) FILTER (WHERE at_ms > $3), 0)::float8 AS hour,
            coalesce(sum(tokens), 0)::float8 AS day
       FROM usage_reservations WHERE subject = $1 AND at_ms > $4
      GROUP BY model ORDER BY model`,
    [subject, nowMs - 60_000, nowMs - 3_600_000, nowMs - windowMs],
  );
  return rows;
}

/** Returns the counters by the bucketed read of PgUsageTracker (countersSql), sorted by model. */
export async function bucketedCounters(
  db: Pool | PoolClient,
  subject: string,
  nowMs: number,
  windowMs: number,
): Promise<ModelCountersRow[]> {
  const { rows } = await db.query<ModelCountersRow>(countersSql(subject, nowMs, windowMs));
  return rows.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/** Returns the differences between usage_minutes and the reservations grouped by minute: none when in step. */
export async function bucketDrift(db: Pool | PoolClient): Promise<unknown[]> {
  const { rows } = await db.query(
    `WITH grouped AS (
       SELECT subject, floor(at_ms / 60000.0)::bigint AS minute, model, count(*) AS requests, sum(tokens) AS tokens
         FROM usage_reservations GROUP BY 1, 2, 3),
     buckets AS (SELECT subject, minute, model, requests, tokens FROM usage_minutes)
     (SELECT 'missing' AS drift, * FROM (SELECT * FROM grouped EXCEPT SELECT * FROM buckets) AS m)
     UNION ALL
     (SELECT 'extra', * FROM (SELECT * FROM buckets EXCEPT SELECT * FROM grouped) AS e)`,
  );
  return rows;
}
