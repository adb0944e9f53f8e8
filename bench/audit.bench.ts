/**
 * Audit log append throughput with and without group commit, for synchronous FULL and NORMAL.
 * C concurrent "requests" each append, await durability, and append again, as the decision
 * pipeline does; without batching every append is its own transaction (one fsync each).
 *
 *   npx tsx bench/audit.bench.ts [--records 3000] [--concurrency 64] [--dir DIR]
 *
 * Records are the benchmark decision's, built by the pipeline (see micro/audit-append.ts).
 *
 * DIR must be on the disk you care about: on tmpfs fsync is free and the numbers mean nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SqliteAuditStore, type SynchronousMode } from '../src/audit';
import { benchRecord } from './micro/audit-append';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '64' },
    dir: { type: 'string' },
  },
});
const total = Number(values.records);
const concurrency = Number(values.concurrency);
const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'modelgate-audit-bench-'));

async function run(batching: boolean, synchronous: SynchronousMode) {
  const path = join(dir, `${batching ? 'batched' : 'single'}-${synchronous}.db`);
  const store = SqliteAuditStore.open({
    path,
    synchronous,
    maxBatchSize: batching ? 1000 : 1,
    logger: pino({ level: 'silent' }),
  });
  let issued = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued += 1;
        await store.append(benchRecord());
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { appended, commits } = store.stats();
  await store.close();
  const verified = await SqliteAuditStore.open({
    path,
    readonly: true,
    logger: pino({ level: 'silent' }),
  }).verify();
  if (!verified.ok || verified.records !== total)
    throw new Error(`bench log does not verify: ${JSON.stringify(verified)}`);
  return {
    group_commit: batching ? 'on' : 'off',
    synchronous,
    records: appended,
    transactions: commits,
    'records/txn': Number((appended / commits).toFixed(1)),
    'records/s': Math.round(appended / seconds),
  };
}

async function main() {
  console.log(`audit append: ${total} records, ${concurrency} concurrent appenders, files in ${dir}`);
  const rows = [];
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    for (const batching of [true, false]) rows.push(await run(batching, synchronous));
  }
  console.table(rows);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
