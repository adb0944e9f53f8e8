/**
 * `npx tsx bench/shipping-encode.ts [--records N] [--repeats R]`: CPU per record of turning the
 * audit log into decision-log events, in-process and on one thread, so other work on a shared
 * machine moves it little. It fills a database with real records (a modelgate from dist/ driven by
 * the benchmark workload), then times, alternating R times, and prints the medians:
 *   - js: SELECT the record text, JSON.parse, opaEvent, JSON.stringify: what the main thread did per
 *     record before shipping moved to its thread;
 *   - sql: EventReader, the events built by SQLite's JSON functions, as the shipping thread does;
 *   - gzip: compressing batches of 500 of those events at level 1, as the service sink does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { constants, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { StoredAuditRecord } from '../src/audit/audit-store';
import { EventReader } from '../src/shipping/event-reader';
import { opaEvent } from '../src/shipping/opa-event';
import { buildBenchPolicy, ROOT } from './lib/bench-policy';
import { benchIssuer, startModelgate } from './lib/contenders';
import { saturate } from './lib/saturate';
import { decideBody } from './lib/workload';

const BATCH = 500;
const context = {
  labels: { app: 'modelgate', id: 'bench', version: '0.0.0' },
  entrypoint: 'modelgate/decision',
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { records: { type: 'string', default: '3000' }, repeats: { type: 'string', default: '7' } },
  });
  const wanted = Number(values.records);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-encode-'));
  try {
    const dbFile = await fillDatabase(dir, wanted);
    const db = new Database(dbFile, { readonly: true });
    const count = (db.prepare('SELECT count(*) AS n FROM audit_records').get() as { n: number }).n;
    const select = db.prepare(
      'SELECT seq, record, prev_hash, hash FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    const reader = new EventReader(db, context);
    const texts = reader.eventsAfter(0, BATCH).map((e) => e.json);
    // Precondition: both paths give the same events (test/operations/shipping-events.test.ts proves it in full).
    const js = jsEvents(select, 0, BATCH);
    if (js.some((text, i) => JSON.stringify(JSON.parse(text)) !== JSON.stringify(JSON.parse(texts[i]!)))) {
      throw new Error('the SQL and JS events differ');
    }
    const perRecord = (work: () => void) => {
      const before = process.cpuUsage();
      work();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / count;
    };
    const runs = { js: [] as number[], sql: [] as number[], gzip: [] as number[] };
    for (let r = 0; r < Number(values.repeats); r++) {
      runs.js.push(perRecord(() => forEachBatch(count, (after) => jsEvents(select, after, BATCH))));
      runs.sql.push(perRecord(() => forEachBatch(count, (after) => reader.eventsAfter(after, BATCH))));
      const body = Buffer.from(`[${texts.join(',')}]`);
      runs.gzip.push(
        perRecord(() => forEachBatch(count, () => gzipSync(body, { level: constants.Z_BEST_SPEED }))),
      );
    }
    db.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
    console.log(
      `${count} records of ${Math.round(texts.join('').length / texts.length)} bytes as events; µs CPU per record, median (range) of ${values.repeats}:`,
    );
    console.log(`  js  (parse + opaEvent + stringify): ${median(runs.js).toFixed(1)} (${range(runs.js)})`);
    console.log(`  sql (EventReader):                  ${median(runs.sql).toFixed(1)} (${range(runs.sql)})`);
    console.log(
      `  gzip level 1, batches of ${BATCH}:       ${median(runs.gzip).toFixed(1)} (${range(runs.gzip)})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The events after `after`, the way the main thread built them before the shipping thread.
function jsEvents(select: Database.Statement, after: number, limit: number): string[] {
  const rows = select.all(after, limit) as { seq: number; record: string; prev_hash: string; hash: string }[];
  return rows.map((row) => {
    const record = {
      ...(JSON.parse(row.record) as StoredAuditRecord),
      seq: row.seq,
      prev_hash: row.prev_hash,
      hash: row.hash,
    };
    return JSON.stringify(opaEvent(record, context));
  });
}

function forEachBatch(count: number, work: (after: number) => unknown): void {
  for (let after = 0; after < count; after += BATCH) work(after);
}

// Real records: a modelgate from dist/ (as built by `npm run build`) answering the benchmark workload.
async function fillDatabase(dir: string, records: number): Promise<string> {
  const issuer = benchIssuer();
  const server = await startModelgate({
    main: path.join(ROOT, 'dist', 'cli', 'main.js'),
    dir: path.join(dir, 'mg'),
    name: 'encode',
    policy: buildBenchPolicy(dir),
    issuer,
    config: { logging: { decisions: 'off' }, metrics: { enabled: false } },
  });
  try {
    const target = {
      name: 'A',
      url: `${server.baseUrl}/v1/decide`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
      body: JSON.stringify(decideBody()),
    };
    let done = 0;
    while (done < records) done += (await saturate(target, 16, 2)).ok;
  } finally {
    await server.stop();
  }
  return path.join(dir, 'mg', 'modelgate.db');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
