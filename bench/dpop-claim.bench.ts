/**
 * What the shared DPoP replay cache adds to a DPoP request on PostgreSQL: PgDpopReplayCache.claim, one INSERT …
 * ON CONFLICT per proof, on a throw-away cluster started like the tests'.
 *   - one claim at a time (the round trip a request waits for), as the service makes it (no fsync of its own) and,
 *     for comparison, as one parameterised statement committed with its own fsync;
 *   - claims from many requests at once on a pool of 10: claims a second, what batching them would raise;
 *   - the sweep: deleting a window's worth of expired rows in batches of 1000.
 *
 *   npx tsx bench/dpop-claim.bench.ts [--rounds 2000] [--concurrency 64]
 *
 * Times are per call, round trip included (client and server share the machine): median and p99.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { dpopPgMigrations } from '../src/postgres/dpop-pg-migrations';
import { PgDpopReplayCache } from '../src/postgres/pg-dpop-replay-cache';
import { migratePg } from '../src/postgres/pg-migrations';
import { createPgPool } from '../src/postgres/pg-pool';
import { startPgCluster } from '../test/helpers/postgres-cluster';
import { timeEachCall } from './lib/timing';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const WINDOW_MS = 120_000;
const logger = pino({ level: 'silent' });

const time = (call: () => Promise<unknown>) => timeEachCall(call, rounds, 50);

// `concurrency` requests claiming one after another each, `rounds` claims in all: claims a second.
async function throughput(claim: () => Promise<unknown>): Promise<number> {
  let left = rounds;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await claim();
    }),
  );
  return Math.round(rounds / (Number(process.hrtime.bigint() - started) / 1e9));
}

async function main(): Promise<void> {
  const cluster = await startPgCluster();
  try {
    const url = await cluster.createDatabase();
    const pool = createPgPool({ url, logger });
    await migratePg(pool, [dpopPgMigrations], logger);
    const cache = new PgDpopReplayCache(pool);
    const served = await time(() => cache.claim(randomUUID(), WINDOW_MS));
    const servedRate = await throughput(() => cache.claim(randomUUID(), WINDOW_MS));
    const replayed = await time(() => cache.claim('the same proof', WINDOW_MS));
    // The alternative: the same upsert as one parameterised statement, committed with an fsync of its own.
    const synced = () =>
      pool.query(
        `INSERT INTO dpop_proofs AS p (key, until) VALUES ($1, statement_timestamp() + $2 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE p.until <= statement_timestamp()`,
        [randomUUID(), WINDOW_MS],
      );
    const fsynced = await time(synced);
    const fsyncedRate = await throughput(synced);
    console.table([
      { claim: 'fresh, as served (no fsync of its own)', ...served, 'claims/s at once': servedRate },
      { claim: 'a replay (nothing claimed)', ...replayed },
      { claim: 'fresh, one statement with its own fsync', ...fsynced, 'claims/s at once': fsyncedRate },
    ]);

    // A window's worth of rows at 1,000 DPoP requests a second, all expired: what one sweep deletes.
    await pool.query(
      `INSERT INTO dpop_proofs (key, until)
       SELECT 'expired-' || i, now() - interval '1 second' FROM generate_series(1, 120000) AS i`,
    );
    await pool.query('ANALYZE dpop_proofs');
    const sweeper = new PgDpopReplayCache(pool, { maxBatches: 1000 });
    const started = process.hrtime.bigint();
    const deleted = await sweeper.expire();
    const sweepMs = Number(process.hrtime.bigint() - started) / 1e6;
    console.table([{ 'expired rows deleted': deleted, 'sweep ms': Math.round(sweepMs) }]);
    await pool.end();
  } finally {
    cluster.destroy();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exitCode = 1;
});
