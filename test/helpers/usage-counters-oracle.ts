import type { Pool, PoolClient } from 'pg';
import { countersSql, type ModelCountersRow } from '../../src/postgres/pg-usage-counters';

/**
 * Returns a subject's counters per model by one sum over every reservation of the subject's day, as
 * MemoryUsageTracker counts: a held (unreported) reservation's tokens only while it is at most `holdMs` old.
 * The oracle of the bucketed read (and its "before" in bench/usage-read.bench.ts); sorted by model.
 */
export async function fullScanCounters(
  db: Pool | PoolClient,
  subject: string,
  nowMs: number,
  holdMs: number,
): Promise<ModelCountersRow[]> {
  const { rows } = await db.query<ModelCountersRow>(
    `SELECT model,
            count(*) FILTER (WHERE at_ms > $2)::int AS minute,
            coalesce(sum(tokens) FILTER (WHERE at_ms > $3 AND (NOT held OR at_ms >= $5)), 0)::float8 AS hour,
            coalesce(sum(tokens) FILTER (WHERE NOT held OR at_ms >= $5), 0)::float8 AS day
       FROM usage_reservations WHERE subject = $1 AND at_ms > $4
      GROUP BY model ORDER BY model`,
    [subject, nowMs - 60_000, nowMs - 3_600_000, nowMs - 86_400_000, nowMs - holdMs],
  );
  return rows.filter(counted);
}

/** Returns the counters by the bucketed read of PgUsageTracker (countersSql), sorted by model. */
export async function bucketedCounters(
  db: Pool | PoolClient,
  subject: string,
  nowMs: number,
  holdMs: number,
): Promise<ModelCountersRow[]> {
  const { rows } = await db.query<ModelCountersRow>(countersSql(subject, nowMs, holdMs));
  return rows.filter(counted).sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/** Returns the differences between usage_minutes and the reservations grouped by minute: none when in step. */
export async function bucketDrift(db: Pool | PoolClient): Promise<unknown[]> {
  const { rows } = await db.query(
    `WITH grouped AS (
       SELECT subject, floor(at_ms / 60000.0)::bigint AS minute, model, held, count(*) AS requests,
              sum(tokens) AS tokens
         FROM usage_reservations GROUP BY 1, 2, 3, 4),
     buckets AS (SELECT subject, minute, model, held, requests, tokens FROM usage_minutes)
     (SELECT 'missing' AS drift, * FROM (SELECT * FROM grouped EXCEPT SELECT * FROM buckets) AS m)
     UNION ALL
     (SELECT 'extra', * FROM (SELECT * FROM buckets EXCEPT SELECT * FROM grouped) AS e)`,
  );
  return rows;
}

// A model whose every counter is 0 reads as one that is absent (the tracker counts zeros for it either way):
// which of the two a read returns depends on whether an expired held reservation sits in a bucket or an edge.
function counted(row: ModelCountersRow): boolean {
  return row.minute !== 0 || row.hour !== 0 || row.day !== 0;
}
