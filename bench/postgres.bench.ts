/**
 * The PostgreSQL backend's costs, on a throw-away cluster started like the tests' (Debian's server,
 * fsync on, data in the system temp folder):
 *   1. audit append throughput: SQLite (FULL) against PostgreSQL with 1 and 3 stores ("replicas",
 *      each with its own pool) appending to the one global chain, C concurrent appenders per store;
 *   2. the usage step of a decision: PgUsageTracker lock + snapshot + reserve + end, for one subject
 *      (serialised by its advisory lock) and for many subjects at once.
 *
 *   npx tsx bench/postgres.bench.ts [--records 3000] [--concurrency 64]
 *
 * Indicative only: client, server and load share the machine's cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SqliteAuditStore } from '../src/audit';
import { auditPgMigrations } from '../src/postgres/audit-pg-migrations';
import { migratePg } from '../src/postgres/pg-migrations';
import { createPgPool } from '../src/postgres/pg-pool';
import { PgUsageTracker } from '../src/postgres/pg-usage-tracker';
import { PostgresAuditStore } from '../src/postgres/postgres-audit-store';
import { usagePgMigrations } from '../src/postgres/usage-pg-migrations';
import { startPgCluster } from '../test/helpers/postgres-cluster';
import { benchRecord } from './micro/audit-append';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '64' } },
});
const total = Number(values.records);
const concurrency = Number(values.concurrency);
const logger = pino({ level: 'silent' });

interface Appender {
  append: SqliteAuditStore['append'];
  stats(): { appended: number; commits: number };
}

async function drive(stores: Appender[]) {
  let issued = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    stores.flatMap((store) =>
      Array.from({ length: concurrency }, async () => {
        while (issued < total) {
          issued += 1;
          await store.append(benchRecord());
        }
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const appended = stores.reduce((n, s) => n + s.stats().appended, 0);
  const commits = stores.reduce((n, s) => n + s.stats().commits, 0);
  return {
    records: appended,
    transactions: commits,
    'records/txn': Number((appended / commits).toFixed(1)),
    'records/s': Math.round(appended / seconds),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-pg-bench-'));
  const cluster = await startPgCluster();
  try {
    const rows: Record<string, unknown>[] = [];
    const sqlite = SqliteAuditStore.open({ path: join(dir, 'bench.db'), logger });
    rows.push({ store: 'SQLite FULL, 1 process', ...(await drive([sqlite])) });
    await sqlite.close();

    for (const replicas of [1, 3]) {
      const url = await cluster.createDatabase();
      const pools = Array.from({ length: replicas }, () => createPgPool({ url, logger }));
      await migratePg(pools[0]!, [auditPgMigrations, usagePgMigrations], logger);
      const stores = pools.map((pool) => new PostgresAuditStore({ pool, logger }));
      rows.push({ store: `PostgreSQL, ${replicas} store(s) on one chain`, ...(await drive(stores)) });
      const verified = await stores[0]!.verify();
      if (!verified.ok || verified.records !== total)
        throw new Error(`does not verify: ${JSON.stringify(verified)}`);
      for (const store of stores) await store.close();
      for (const pool of pools) await pool.end();
    }
    console.log(`audit append: ${total} records, ${concurrency} concurrent appenders per store`);
    console.table(rows);

    const url = await cluster.createDatabase();
    const pool = createPgPool({ url, logger });
    await migratePg(pool, [auditPgMigrations, usagePgMigrations], logger);
    const tracker = new PgUsageTracker(pool, 86_400_000, logger);
    const usageRows: Record<string, unknown>[] = [];
    for (const subjects of [1, 64]) {
      let n = 0;
      const perSubject = Math.ceil(1000 / subjects);
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: subjects }, async (_, s) => {
          const subject = `subject-${subjects}-${s}`;
          await Promise.all(
            Array.from({ length: perSubject }, async () => {
              const i = n++;
              const nowMs = Date.now();
              const held = await tracker.lock(subject, 'm', nowMs);
              tracker.snapshot(subject, 'm');
              tracker.reserve({
                decisionId: `d-${subjects}-${i}`,
                subject,
                model: 'm',
                tokens: 10,
                atMs: nowMs,
              });
              await held.end();
            }),
          );
        }),
      );
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      usageRows.push({
        subjects,
        decisions: n,
        'decisions/s': Math.round((n * 1000) / ms),
        'ms/decision': Number((ms / n).toFixed(2)),
      });
    }
    await pool.end();
    console.log('usage step (lock, read counters, reserve, commit), all decisions issued at once');
    console.table(usageRows);
  } finally {
    cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
