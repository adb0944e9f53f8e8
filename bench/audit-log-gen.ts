/**
 * Writes a large audit log fast: real records (the ~1.5 kB decide record of privileges.bench.ts),
 * chained by the store's own ChainWriter (canonical JSON, SHA-256 chain, derived columns, reason
 * rows, privilege facts by the migration's trigger) and signed by its own CheckpointWriter every
 * --checkpoint-every records, exactly as the service would, so `modelgate audit verify --full`
 * passes on the result. The schema is the service's own (openDatabase runs the migrations).
 *
 * What is faster than the service, because the file is a test fixture (if the machine crashes
 * while it is written, throw it away and generate again): synchronous OFF, one transaction per
 * 50,000 records, a 1 GiB page cache; canonical JSON by JSON.stringify, because benchRecord writes
 * every object's keys in canonical order (checked against canonicalJson every 1000 records); and
 * the indexes on derived columns are dropped before the inserts and rebuilt once at the end (the
 * schema's own SQL). The lineage indexes stay: they are partial and empty for these records, and
 * keeping them costs less than one more scan of the table at the end. What was measured for each
 * choice (journal OFF and keeping every index were both slower) is in bench/RESULTS.md.
 *
 *   npx tsx bench/audit-log-gen.ts --out FILE [--records 1000000] [--subjects 10000]
 *        [--checkpoint-every 1000] [--key-dir DIR] [--days 30]
 *
 * Writes DIR/audit-signing.pem and .pub.pem (modelgate audit keygen) when DIR has none.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditMigrations, LINEAGE_INDEXES } from '../src/audit/audit-migrations';
import { canonicalJson } from '../src/audit/canonical-json';
import { ChainWriter, type PreparedRecord } from '../src/audit/chain-writer';
import { preparedRecord } from '../src/audit/prepare-record';
import { CheckpointWriter } from '../src/audit/checkpoint-writer';
import { openDatabase } from '../src/audit/database';
import { createDecisionIdGenerator } from '../src/audit/decision-id';
import { generateCheckpointKeys, loadCheckpointSigner } from '../src/audit/signed-checkpoints';
import { benchRecord, lcg } from './privileges.bench';

const DAY_MS = 86_400_000;
const TRANSACTION = 50_000;
const BATCH = 1000;

/** How to generate. */
export interface GenerateOptions {
  file: string;
  records: number;
  subjects: number;
  /** Sign the chain head every this many records (the service's default is 1000). */
  checkpointEvery: number;
  /** Folder of audit-signing.pem; created with a new key pair when missing. */
  keyDir: string;
  days: number;
  /** Called after each transaction with the records written so far. */
  onProgress?: (written: number) => void;
}

/** What generation took. */
export interface Generated {
  seconds: number;
  indexSeconds: number;
  bytes: number;
  checkpoints: number;
  publicKeyFile: string;
}

/** Writes `records` chained records (and their signed checkpoints) into a new SQLite file. */
export function generateAuditLog(options: GenerateOptions): Generated {
  if (existsSync(options.file)) throw new Error(`${options.file} exists; generate into a new file`);
  const privateKeyFile = join(options.keyDir, 'audit-signing.pem');
  if (!existsSync(privateKeyFile)) generateCheckpointKeys(options.keyDir);
  const started = process.hrtime.bigint();
  const db = openDatabase(options.file, [auditMigrations], { synchronous: 'NORMAL' });
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576');
  const lineage = new Set<string>(LINEAGE_INDEXES.map(([name]) => name));
  const deferred = (
    db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
         AND tbl_name IN ('audit_records', 'audit_reasons')`,
      )
      .all() as { name: string; sql: string }[]
  ).filter((index) => !lineage.has(index.name));
  for (const index of deferred) db.exec(`DROP INDEX ${index.name}`);

  const chain = new ChainWriter(db);
  const endMs = Date.now();
  const startMs = endMs - options.days * DAY_MS;
  let clock = startMs;
  const checkpoints = new CheckpointWriter(
    db,
    loadCheckpointSigner(privateKeyFile),
    { everyRecords: options.checkpointEvery, everyMs: Number.POSITIVE_INFINITY },
    () => clock,
  );
  const nextId = createDecisionIdGenerator(() => clock);
  const random = lcg(42);
  let signed = 0;
  const write = db.transaction((from: number) => {
    const to = Math.min(from + TRANSACTION, options.records);
    for (let done = from; done < to; done += BATCH) {
      const batch: PreparedRecord[] = [];
      for (let i = done; i < Math.min(done + BATCH, to); i++) {
        // Oldest first, spread evenly over the period, so the chain is in time order.
        clock = startMs + Math.floor(((i + 0.5) * options.days * DAY_MS) / options.records);
        const record = benchRecord(nextId(), clock, random, options.subjects);
        batch.push(preparedRecord(record, fastCanonical(record, i)));
      }
      const { head } = chain.append(batch);
      if (checkpoints.signIfDue(head, false) !== null) signed += 1;
    }
  });
  for (let from = 0; from < options.records; from += TRANSACTION) {
    write(from);
    options.onProgress?.(Math.min(from + TRANSACTION, options.records));
  }
  // The head is signed at the end, as the service does when it closes.
  db.transaction(() => {
    if (checkpoints.signIfDue(chain.head(), true) !== null) signed += 1;
  })();
  const indexStarted = process.hrtime.bigint();
  for (const index of deferred) db.exec(index.sql);
  const indexSeconds = Number(process.hrtime.bigint() - indexStarted) / 1e9;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes =
    (db.pragma('page_count', { simple: true }) as number) *
    (db.pragma('page_size', { simple: true }) as number);
  db.close();
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    indexSeconds,
    bytes,
    checkpoints: signed,
    publicKeyFile: join(options.keyDir, 'audit-signing.pub.pem'),
  };
}

// canonicalJson costs ~45 µs for this record, JSON.stringify ~3 µs: the same bytes because
// benchRecord writes every object's keys in sorted order (and has no integer-like keys, which
// JavaScript would put first). Every 1000th record is re-checked against the real canonicalJson.
function fastCanonical(record: object, i: number): string {
  const json = JSON.stringify(record);
  if (i % 1000 === 0 && json !== canonicalJson(record)) throw new Error('the fast canonical form differs');
  return json;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      records: { type: 'string', default: '1000000' },
      subjects: { type: 'string', default: '10000' },
      'checkpoint-every': { type: 'string', default: '1000' },
      'key-dir': { type: 'string' },
      days: { type: 'string', default: '30' },
    },
  });
  if (!values.out) throw new Error('--out FILE is required');
  const result = generateAuditLog({
    file: values.out,
    records: Number(values.records),
    subjects: Number(values.subjects),
    checkpointEvery: Number(values['checkpoint-every']),
    keyDir: values['key-dir'] ?? join(values.out, '..', 'keys'),
    days: Number(values.days),
    onProgress: (n) =>
      process.stderr.write(`\r${n.toLocaleString('en-US')} records, ${Math.round(process.uptime())} s`),
  });
  process.stderr.write('\n');
  console.log(
    `${Number(values.records).toLocaleString('en-US')} records, ${result.checkpoints} checkpoints, ` +
      `${(result.bytes / 1e9).toFixed(2)} GB in ${result.seconds.toFixed(1)} s ` +
      `(indexes ${result.indexSeconds.toFixed(1)} s); verify with --public-key ${result.publicKeyFile}`,
  );
}

if (require.main === module) main();
