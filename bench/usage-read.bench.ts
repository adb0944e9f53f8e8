/**
 * The usage counter read of PgUsageTracker on PostgreSQL, before and after the minute buckets (usage
 * migration 2), by the number of reservations one subject made in the last day (spread evenly over
 * it, one model), on a throw-away cluster started like the tests':
 *   - before: the full scan of the subject's day (test/helpers/usage-counters-oracle.ts);
 *   - after: buckets plus the edge minutes (countersSql), the read PgUsageTracker now runs;
 *   - the price: one reservation's insert with the bucket triggers and without them.
 *
 *   npx tsx bench/usage-read.bench.ts [--rounds 300] [--sizes 50,5000,50000]
 *
 * Times are per call, round trip included (client and server share the machine): median and p99.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Pool } from 'pg';
import { migratePg } from '../src/postgres/pg-migrations';
import { createPgPool } from '../src/postgres/pg-pool';
import { usagePgMigrations } from '../src/postgres/usage-pg-migrations';
import { startPgCluster } from '../test/helpers/postgres-cluster';
import { bucketedCounters, fullScanCounters } from '../test/helpers/usage-counters-oracle';
import { timeEachCall } from './lib/timing';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '300' },
    sizes: { type: 'string', default: '50,5000,50000' },
  },
});
const rounds = Number(values.rounds);
const sizes = values.sizes.split(',').map(Number);
const DAY_MS = 86_400_000;
const logger = pino({ level: 'silent' });

const time = (call: () => Promise<unknown>) => timeEachCall(call, rounds, 20);

async function seed(pool: Pool, subject: string, rows: number, nowMs: number): Promise<void> {
  await pool.query(
    `INSERT INTO usage_reservations (decision_id, subject, model, tokens, at_ms)
     SELECT $1 || '-' || i, $1, 'gpt-x', 1000 + i % 500, $2::bigint - (i::bigint * ($3::bigint - 1)) / $4
       FROM generate_series(1, $4) AS i`,
    [subject, nowMs, DAY_MS, rows],
  );
  await pool.query('ANALYZE usage_reservations; ANALYZE usage_minutes');
}

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  try {
    const pool = createPgPool({ url: await cluster.createDatabase(), logger });
    await migratePg(pool, [usagePgMigrations], logger);
    const nowMs = Date.now();
    const table: Record<string, unknown>[] = [];
    for (const rows of sizes) {
      const subject = `subject-${rows}`;
      await seed(pool, subject, rows, nowMs);
      const before = await fullScanCounters(pool, subject, nowMs, DAY_MS);
      const after = await bucketedCounters(pool, subject, nowMs, DAY_MS);
      if (JSON.stringify(before) !== JSON.stringify(after)) throw new Error(`reads differ at ${rows} rows`);
      const { rows: buckets } = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM usage_minutes WHERE subject = $1',
        [subject],
      );
      const full = await time(() => fullScanCounters(pool, subject, nowMs, DAY_MS));
      const bucketed = await time(() => bucketedCounters(pool, subject, nowMs, DAY_MS));
      table.push({
        'rows of the subject': rows,
        buckets: buckets[0]!.n,
        'before: median ms': full.median_ms,
        'before: p99 ms': full.p99_ms,
        'after: median ms': bucketed.median_ms,
        'after: p99 ms': bucketed.p99_ms,
      });
    }
    console.table(table);

    // What every write pays for the buckets: the statement trigger's grouped upsert. Without an
    // fsync, as PgUsageTracker commits (the audit record's commit flushes it).
    const client = await pool.connect();
    await client.query('SET synchronous_commit = off');
    let n = 0;
    const insert = () =>
      client.query(
        `INSERT INTO usage_reservations (decision_id, subject, model, tokens, at_ms) VALUES ($1, 'w', 'gpt-x', 1000, $2)`,
        [`w-${++n}`, nowMs],
      );
    const withTriggers = await time(insert);
    await client.query('ALTER TABLE usage_reservations DISABLE TRIGGER USER');
    const withoutTriggers = await time(insert);
    await client.query('ALTER TABLE usage_reservations ENABLE TRIGGER USER');
    client.release();
    console.table([
      { 'one reservation insert': 'with the bucket triggers', ...withTriggers },
      { 'one reservation insert': 'without', ...withoutTriggers },
    ]);
    await pool.end();
  } finally {
    cluster.destroy();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exitCode = 1;
});
