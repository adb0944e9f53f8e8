/**
 * Usage memory and decision latency by the number of distinct subjects active in the last day
 * (issue #19, item 3 "subjects"). For each N, a real audit log of 2N allowed-or-not decisions of the
 * last day over N subjects (bench/audit-log-gen.ts: real records, real chain), then:
 *
 * - start-up: UsageLedger.restore() into a tracker bounded at --max-subjects (the default bound),
 *   and into an unbounded one while N <= --unbounded-up-to; time and heap (after a GC);
 * - decisions: --decisions snapshot + reserve calls (what usage adds to one decision), subjects
 *   drawn uniformly from the N (the worst case for an LRU: at N = 1M and a bound of 100k, nine in
 *   ten miss and are read back from the ledger) and with a skew (80% of decisions from 20% of the
 *   subjects); p50 / p99 / p99.9 in microseconds.
 *
 *   npx tsx bench/usage-subjects.bench.ts [--subjects 1000,100000,1000000] [--max-subjects 100000]
 *        [--decisions 20000] [--unbounded-up-to 100000] [--dir DIR]
 *
 * Logs are generated into DIR as subjects-N.db and reused when present.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { auditMigrations } from '../src/audit/audit-migrations';
import { openDatabase, type Db } from '../src/audit/database';
import { DEFAULT_USAGE_MAX_SUBJECTS, MemoryUsageTracker } from '../src/usage/memory-usage-tracker';
import { UsageLedger } from '../src/usage/usage-ledger';
import { usageMigrations } from '../src/usage/usage-migrations';
import { SqliteUsageReports } from '../src/usage/usage-reports';
import { generateAuditLog } from './audit-log-gen';

const TTL_MS = 86_400_000;
const MODELS = ['anthropic.claude-haiku', 'anthropic.claude-sonnet', 'anthropic.claude-opus'];

function heapUsed(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
}

function tracked(db: Db, maxSubjects: number | null) {
  const tracker = new MemoryUsageTracker(TTL_MS);
  const ledger = new UsageLedger(db, tracker, TTL_MS, new SqliteUsageReports(db));
  if (maxSubjects !== null) {
    tracker.enablePaging({ maxSubjects, load: (subject, nowMs) => ledger.restore(nowMs, subject) });
  }
  return { tracker, ledger };
}

function percentiles(samples: Float64Array): string {
  samples.sort();
  const at = (q: number) => (samples[Math.floor(q * (samples.length - 1))]! * 1000).toFixed(1);
  return `${at(0.5)} / ${at(0.99)} / ${at(0.999)}`;
}

// snapshot + reserve per decision, as the pipeline does; the reservation is marked recorded at once.
function decide(tracker: MemoryUsageTracker, subjects: number, decisions: number, skewed: boolean) {
  const samples = new Float64Array(decisions);
  let state = 99;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < decisions; i++) {
    const hot = skewed && random() < 0.8;
    const n = Math.floor(random() * (hot ? Math.max(1, subjects / 5) : subjects));
    const subject = `spiffe://corp/bench/workload-${n}`;
    const model = MODELS[n % 3]!;
    const now = Date.now();
    const started = performance.now();
    tracker.snapshot(subject, model, now);
    tracker.reserve({ decisionId: `bench-${i}`, subject, model, tokens: 1200, atMs: now }).recorded?.();
    samples[i] = performance.now() - started;
  }
  return percentiles(samples);
}

// In a function of its own, so the tracker is garbage once its row is made: the next row's heap
// baseline must not include it.
function measure(db: Db, n: number, bound: number | null, decisions: number): Record<string, string> {
  const before = heapUsed();
  const { tracker, ledger } = tracked(db, bound);
  const restored = ledger.restore(Date.now());
  const heapMb = (heapUsed() - before) / 1e6;
  const held = tracker.stats();
  const uniform = decide(tracker, n, decisions, false);
  const skewed = decide(tracker, n, decisions, true);
  const after = tracker.stats();
  return {
    subjects: n.toLocaleString('en-US'),
    bound: bound === null ? 'none' : bound.toLocaleString('en-US'),
    'restore s': (restored.ms / 1000).toFixed(1),
    'subjects held': held.subjects.toLocaleString('en-US'),
    'heap MB': heapMb.toFixed(0),
    'uniform p50/p99/p99.9 µs': uniform,
    'skewed p50/p99/p99.9 µs': skewed,
    'paged in': after.pagedIn.toLocaleString('en-US'),
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      subjects: { type: 'string', default: '1000,100000,1000000' },
      'max-subjects': { type: 'string', default: String(DEFAULT_USAGE_MAX_SUBJECTS) },
      decisions: { type: 'string', default: '20000' },
      'unbounded-up-to': { type: 'string', default: '100000' },
      dir: { type: 'string' },
    },
  });
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'mg-usage-subjects-'));
  mkdirSync(dir, { recursive: true });
  const maxSubjects = Number(values['max-subjects']);
  const decisions = Number(values.decisions);
  const rows: Record<string, string>[] = [];
  try {
    for (const n of values.subjects.split(',').map(Number)) {
      const file = join(dir, `subjects-${n}.db`);
      if (!existsSync(file)) {
        // Two decisions per subject over the last 23 hours, so every one is inside the day.
        const made = generateAuditLog({
          file,
          records: 2 * n,
          subjects: n,
          checkpointEvery: 100_000,
          keyDir: join(dir, 'keys'),
          days: 23 / 24,
        });
        console.error(`generated ${2 * n} records over ${n} subjects in ${made.seconds.toFixed(0)} s`);
      }
      const db = openDatabase(file, [auditMigrations, usageMigrations], { synchronous: 'NORMAL' });
      for (const bound of [maxSubjects, null]) {
        if (bound === null && n > Number(values['unbounded-up-to'])) continue;
        rows.push(measure(db, n, bound, decisions));
        console.error(JSON.stringify(rows.at(-1)));
      }
      db.close();
    }
    const header = Object.keys(rows[0] ?? {});
    console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
    for (const row of rows) console.log(`| ${header.map((h) => row[h]).join(' | ')} |`);
    console.log(
      `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ` +
        'shared with other engineers: latencies are noisy',
    );
  } finally {
    if (!values.dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();
