/**
 * What a group commit of the audit writer writes and how long it takes, by page size (issue #19: the writer's
 * share of the tail). Records are the privileges bench's ~1.5 kB decide records, chained by the store's own
 * ChainWriter into the service's schema, a few per transaction as at half load:
 *
 *   npx tsx bench/writer-cost.ts [--page-sizes 4096,1024] [--per-commit 2] [--records 6000]
 *
 * For each page size: the WAL pages (and bytes) one commit writes, then again with each query index dropped
 * (what that index costs), and the commit's duration with `synchronous = FULL` (fsync included), one commit
 * every millisecond or so, PASSIVE checkpoints in between, as the service's checkpoint thread does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditMigrations } from '../src/audit/audit-migrations';
import { ChainWriter, type PreparedRecord } from '../src/audit/chain-writer';
import { openDatabase, type Db } from '../src/audit/database';
import { createDecisionIdGenerator } from '../src/audit/decision-id';
import { prepareRecord } from '../src/audit/prepare-record';
import { benchRecord, lcg } from './privileges.bench';

const QUERY_INDEXES = [
  'audit_records_subject',
  'audit_records_model',
  'audit_records_outcome',
  'audit_records_ts',
  'audit_reasons_reason',
];

function records(count: number): PreparedRecord[] {
  const ids = createDecisionIdGenerator();
  const random = lcg(7);
  const start = Date.now();
  return Array.from({ length: count }, (_, i) =>
    prepareRecord(benchRecord(ids(), start + i, random, 10_000)),
  );
}

function open(file: string, pageSize: number, synchronous: 'FULL' | 'NORMAL'): Db {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const db = openDatabase(file, [auditMigrations], { synchronous, pageSize });
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

// WAL frames written by the last `sample` commits, after `warm` records made the indexes a realistic size.
function pagesPerCommit(
  file: string,
  pageSize: number,
  items: PreparedRecord[],
  perCommit: number,
  drop?: string,
) {
  const db = open(file, pageSize, 'NORMAL');
  db.pragma('synchronous = OFF');
  if (drop) db.exec(`DROP INDEX ${drop}`);
  const chain = new ChainWriter(db);
  const commit = db.transaction((batch: PreparedRecord[]) => chain.append(batch));
  const sample = 200 * perCommit;
  for (let i = 0; i < items.length; i += perCommit) {
    if (i === items.length - sample) db.pragma('wal_checkpoint(TRUNCATE)');
    commit.immediate(items.slice(i, i + perCommit));
  }
  const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)') as [{ log: number }];
  db.close();
  return log / (sample / perCommit);
}

async function commitTimes(file: string, pageSize: number, items: PreparedRecord[], perCommit: number) {
  const db = open(file, pageSize, 'FULL');
  const chain = new ChainWriter(db);
  const commit = db.transaction((batch: PreparedRecord[]) => chain.append(batch));
  const times: number[] = [];
  for (let i = 0; i < items.length; i += perCommit) {
    const started = performance.now();
    commit.immediate(items.slice(i, i + perCommit));
    times.push(performance.now() - started);
    if ((i / perCommit) % 50 === 0) db.pragma('wal_checkpoint(PASSIVE)');
    await sleep(1);
  }
  db.close();
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'page-sizes': { type: 'string', default: '4096,1024' },
      'per-commit': { type: 'string', default: '2' },
      records: { type: 'string', default: '6000' },
    },
  });
  const perCommit = Number(values['per-commit']);
  const items = records(Number(values.records));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-writer-cost-'));
  try {
    console.log(`${items.length} records, ${perCommit} a commit\n`);
    console.log(
      '| page size | WAL pages a commit | KiB a commit | without index (pages a commit) | commit p50 / p99 ms (FULL) |',
    );
    console.log('| --- | --- | --- | --- | --- |');
    for (const pageSize of values['page-sizes'].split(',').map(Number)) {
      const file = path.join(dir, `log-${pageSize}.db`);
      const pages = pagesPerCommit(file, pageSize, items, perCommit);
      const without = QUERY_INDEXES.map(
        (index) =>
          `${index.replace(/^audit_(records_)?/, '')} ${pagesPerCommit(file, pageSize, items, perCommit, index).toFixed(1)}`,
      );
      const times = await commitTimes(file, pageSize, items, perCommit);
      const ms = (q: number) => times[Math.floor(q * (times.length - 1))]!.toFixed(2);
      console.log(
        `| ${pageSize} | ${pages.toFixed(1)} | ${((pages * (pageSize + 24)) / 1024).toFixed(1)} | ${without.join(', ')} | ${ms(0.5)} / ${ms(0.99)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
