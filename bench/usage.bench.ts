/**
 * Usage micro-benchmark, two parts:
 *
 * 1. Hot path: what usage adds to one decision, i.e. `snapshot` (the read that becomes input.usage)
 *    plus `reserve` (the allowed decision's claim), on a tracker that already holds a long history
 *    (by default 1M decisions of the last day over 10,000 subjects x 3 models, half of them
 *    reported). The clock moves on with every decision, so window heads advance and arrays compact
 *    as in production. Reports the median, p95 and p99 per decision, and the heap it holds.
 * 2. Restart: UsageLedger.restore() over a real SQLite file holding 1M decisions of the last day.
 *    Rows are written by the audit store's own ChainWriter (hash chain, derived columns, reason
 *    rows), in one transaction, batches of 1000; SqliteAuditStore.append would write the same rows
 *    but through a promise and a group commit per batch, which only makes generation slower.
 *    80% are allowed (2% of those on the Data API), 15% denied, 5% rejected; 30% of the allowed
 *    ones have a usage report. The restored counters are checked against a SQL aggregate.
 *
 *   npx tsx bench/usage.bench.ts [--history 1000000] [--subjects 10000] [--decisions 200000]
 *                                [--restore 1000000] [--db FILE] [--keep]
 *
 * --db FILE reuses (or creates and keeps) a generated database: rows are placed in the 23 hours
 * before generation, so a file older than an hour restores fewer than all of them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { auditMigrations } from '../src/audit/audit-migrations';
import type { AuditRecordV1 } from '../src/audit/audit-record';
import { canonicalJson } from '../src/audit/canonical-json';
import { ChainWriter, type PreparedRecord } from '../src/audit/chain-writer';
import { preparedRecord } from '../src/audit/prepare-record';
import { openDatabase, type Db } from '../src/audit/database';
import { createDecisionIdGenerator } from '../src/audit/decision-id';
import { MemoryUsageTracker } from '../src/usage/memory-usage-tracker';
import { DAY_MS, HOUR_MS } from '../src/usage/sliding-window';
import { UsageLedger } from '../src/usage/usage-ledger';
import { SqliteUsageReports } from '../src/usage/usage-reports';
import { usageMigrations } from '../src/usage/usage-migrations';

const MODELS = ['anthropic.claude-haiku', 'anthropic.claude-sonnet', 'anthropic.claude-opus'];

/** Runs both parts and prints their results; argv as on the command line. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      history: { type: 'string', default: '1000000' },
      subjects: { type: 'string', default: '10000' },
      decisions: { type: 'string', default: '200000' },
      restore: { type: 'string', default: '1000000' },
      db: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const subjects = Number(values.subjects);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);

  const hot = hotPath({ history: Number(values.history), subjects, decisions: Number(values.decisions) });
  console.log(`\n1. snapshot + reserve per decision (${hot.setup})`);
  console.table(hot.rows);

  const dir = values.db ? undefined : mkdtempSync(join(tmpdir(), 'modelgate-usage-bench-'));
  const file = values.db ?? join(dir!, 'modelgate.db');
  try {
    if (!existsSync(file)) {
      const generated = generateDatabase(file, { decisions: Number(values.restore), subjects });
      console.log(
        `\n2. restore: generated ${file} in ${generated.seconds.toFixed(1)} s (${generated.mb} MB)`,
      );
    } else {
      console.log(`\n2. restore: reusing ${file}`);
    }
    console.table(restore(file, subjects));
  } finally {
    if (dir && !values.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${file}`);
  }
}

// Part 1 ----------------------------------------------------------------------------------------

function hotPath(options: { history: number; subjects: number; decisions: number }) {
  const { history, subjects, decisions } = options;
  let clock = Date.now() - DAY_MS;
  const tracker = new MemoryUsageTracker(DAY_MS, () => clock);
  const subjectIds = Array.from({ length: subjects }, (_, i) => `spiffe://corp/bench/workload-${i}`);
  const random = lcg(42);
  // A steady rate: the history fills exactly the last day, and the measured decisions keep that pace.
  const stepMs = DAY_MS / history;
  const heapBefore = heapUsed();
  for (let i = 0; i < history; i++) {
    clock += stepMs;
    const id = `h-${i}`;
    const subject = subjectIds[Math.floor(random() * subjects)]!;
    const model = MODELS[i % 3]!;
    tracker.snapshot(subject, model, clock);
    tracker.reserve({ decisionId: id, subject, model, tokens: 4096, atMs: clock });
    if (i % 2 === 0) tracker.settlement({ subject, model, tokens: 4096, atMs: clock })(1500, clock);
  }
  const heapMb = (heapUsed() - heapBefore) / 1e6;
  const stats = tracker.stats();

  const ids = Array.from({ length: decisions }, (_, i) => `d-${i}`);
  const picks = Array.from({ length: decisions }, () => subjectIds[Math.floor(random() * subjects)]!);
  const samples = new Float64Array(decisions);
  const madeAt = new Float64Array(decisions);
  const timerOverhead = new Float64Array(decisions);
  const started = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    clock += stepMs;
    const subject = picks[i]!;
    const model = MODELS[i % 3]!;
    madeAt[i] = clock;
    const t0 = process.hrtime.bigint();
    const usage = tracker.snapshot(subject, model, clock);
    tracker.reserve({ decisionId: ids[i]!, subject, model, tokens: 4096, atMs: clock });
    samples[i] = Number(process.hrtime.bigint() - t0);
    if (usage.tokens_last_day < 0) throw new Error('negative usage');
    const t1 = process.hrtime.bigint();
    timerOverhead[i] = Number(process.hrtime.bigint() - t1);
  }
  const loopMs = Number(process.hrtime.bigint() - started) / 1e6;

  const settleSamples = new Float64Array(decisions / 2);
  for (let i = 0; i < decisions / 2; i++) {
    const made = { subject: picks[i * 2]!, model: MODELS[(i * 2) % 3]!, tokens: 4096, atMs: madeAt[i * 2]! };
    const t0 = process.hrtime.bigint();
    tracker.settlement(made)(1500, clock);
    settleSamples[i] = Number(process.hrtime.bigint() - t0);
  }
  const us = (ns: number) => Number((ns / 1000).toFixed(2));
  const row = (what: string, s: Float64Array) => ({
    what,
    'median µs': us(quantile(s, 0.5)),
    'p95 µs': us(quantile(s, 0.95)),
    'p99 µs': us(quantile(s, 0.99)),
  });
  return {
    setup:
      `${history} decisions of history, ${subjects} subjects x ${MODELS.length} models; ` +
      `held: ${stats.subjects} subjects, ${stats.windows} windows, ${stats.events} events, ` +
      `${stats.pendingReservations} pending reservations, ${heapMb.toFixed(0)} MB heap; ` +
      `${decisions} measured decisions in ${loopMs.toFixed(0)} ms including timers`,
    rows: [
      row('snapshot + reserve', samples),
      row('usage report (settle)', settleSamples),
      row('timer overhead (empty)', timerOverhead),
    ],
  };
}

// Part 2 ----------------------------------------------------------------------------------------

function generateDatabase(file: string, options: { decisions: number; subjects: number }) {
  const started = process.hrtime.bigint();
  const db = openDatabase(file, [auditMigrations, usageMigrations], { synchronous: 'NORMAL' });
  const chain = new ChainWriter(db);
  const insertReport = db.prepare(
    `INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const end = Date.now() - 1000;
  const start = end - 23 * HOUR_MS;
  const stepMs = (end - start) / options.decisions;
  let at = start;
  const nextId = createDecisionIdGenerator(() => Math.floor(at));
  const random = lcg(7);
  // Every key any record can have: sample enough records to see each outcome.
  const sample = lcg(1);
  const keySet = new Set<string>();
  for (let i = 0; i < 100; i++) allKeys(benchRecord('id', at, sample, 1), keySet);
  const keys = [...keySet].sort();
  const write = db.transaction(() => {
    for (let done = 0; done < options.decisions;) {
      const batch: PreparedRecord[] = [];
      const reports: AuditRecordV1[] = [];
      for (let n = 0; n < 1000 && done < options.decisions; n++, done++) {
        at += stepMs;
        const record = benchRecord(nextId(), Math.floor(at), random, options.subjects);
        // A key list makes JSON.stringify write every object's keys in that (sorted) order: canonical
        // JSON at native speed for these records. The first ones are checked against canonicalJson.
        const json = JSON.stringify(record, keys);
        if (done < 100 && json !== canonicalJson(record)) throw new Error('bench JSON is not canonical');
        batch.push(preparedRecord(record, json));
        if (record.outcome === 'allowed' && random() < 0.3) reports.push(record);
      }
      chain.append(batch);
      for (const r of reports) {
        insertReport.run(r.decision_id, r.subject, 1200, 700, 0.0123, Date.parse(r.timestamp) + 5000);
      }
    }
  });
  write();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pages = db.pragma('page_count', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    mb: Math.round((pages * pageSize) / 1e6),
  };
}

function restore(file: string, subjects: number) {
  const rows = [];
  for (let run = 1; run <= 3; run++) {
    const db = openDatabase(file, [auditMigrations, usageMigrations], {});
    try {
      const tracker = new MemoryUsageTracker(DAY_MS);
      const ledger = new UsageLedger(db, tracker, DAY_MS, new SqliteUsageReports(db));
      const heapBefore = heapUsed();
      const now = Date.now();
      const result = ledger.restore(now);
      const heapMb = (heapUsed() - heapBefore) / 1e6;
      const check = checkAgainstSql(db, tracker, now, subjects);
      const oneSubject = new UsageLedger(
        db,
        new MemoryUsageTracker(DAY_MS),
        DAY_MS,
        new SqliteUsageReports(db),
      ).restore(now, 'spiffe://corp/bench/workload-1');
      rows.push({
        run,
        'restore ms': result.ms,
        decisions: result.decisions,
        reports: result.reports,
        'heap MB': Math.round(heapMb),
        'one subject (CLI) ms': oneSubject.ms,
        'matches SQL': check,
      });
    } finally {
      db.close();
    }
  }
  return rows;
}

// The counters summed over every subject must equal what SQL computes straight from the log.
function checkAgainstSql(db: Db, tracker: MemoryUsageTracker, now: number, subjects: number): boolean {
  const expected = db
    .prepare(
      `SELECT sum(coalesce(u.input_tokens + u.output_tokens,
                  coalesce(json_extract(r.record, '$.max_tokens'), 0)
                  + coalesce(json_extract(r.record, '$.input.invocation.input_tokens'), 0))) AS tokens
         FROM audit_records r LEFT JOIN usage_reports u ON u.decision_id = r.decision_id
        WHERE r.outcome = 'allowed' AND r.ts_ms > ? AND r.subject IS NOT NULL
          AND (r.path = '/v1/decide' OR r.path LIKE '/v1/data/%')`,
    )
    .get(now - DAY_MS) as { tokens: number };
  let total = 0;
  for (let i = 0; i < subjects; i++) {
    total += tracker.snapshot(`spiffe://corp/bench/workload-${i}`, '', now).tokens_last_day;
  }
  if (total !== expected.tokens) {
    throw new Error(`restored counters disagree with the log: ${total} vs ${expected.tokens}`);
  }
  return true;
}

// A record shaped like what the pipeline writes for /v1/decide (about 1.5 kB of canonical JSON).
function benchRecord(id: string, atMs: number, random: () => number, subjects: number): AuditRecordV1 {
  const subject = `spiffe://corp/bench/workload-${Math.floor(random() * subjects)}`;
  const model = MODELS[Math.floor(random() * MODELS.length)]!;
  const roll = random();
  const outcome = roll < 0.8 ? 'allowed' : roll < 0.95 ? 'denied' : 'rejected';
  const path = outcome === 'allowed' && random() < 0.02 ? '/v1/data/modelgate/decision' : '/v1/decide';
  const inputTokens = 200 + Math.floor(random() * 3000);
  const iat = Math.floor(atMs / 1000) - 60;
  const invocation = {
    input_tokens: inputTokens,
    max_tokens: 8000,
    model,
    operation: 'chat',
    purpose: 'document-summary',
  };
  const allowed = outcome === 'allowed';
  const obligations = allowed
    ? [
        { classes: ['email'], type: 'redact' },
        { max_tokens: 4096, type: 'cap_tokens' },
      ]
    : [];
  const reasons =
    outcome === 'denied' ? ['budget_exhausted'] : outcome === 'rejected' ? ['token_expired'] : [];
  return {
    decision_id: id,
    timestamp: new Date(atMs).toISOString(),
    path,
    outcome,
    status: outcome === 'rejected' ? 401 : 200,
    subject: outcome === 'rejected' ? null : subject,
    issuer: outcome === 'rejected' ? null : 'https://idp.corp',
    actor: null,
    token_id: outcome === 'rejected' ? null : `tok-${id}`,
    model: outcome === 'rejected' ? null : model,
    provider: null,
    operation: outcome === 'rejected' ? null : 'chat',
    purpose: outcome === 'rejected' ? null : 'document-summary',
    input:
      outcome === 'rejected'
        ? null
        : {
            context: { approval_id: null },
            invocation,
            payload: { chars: 5312, findings: { email: 1 }, present: true },
            subject: {
              actor: null,
              audience: ['modelgate'],
              claims: {
                aud: 'modelgate',
                exp: iat + 3600,
                iat,
                iss: 'https://idp.corp',
                jti: `tok-${id}`,
                scope: 'invoke:summarize',
                sub: subject,
              },
              id: subject,
              issuer: 'https://idp.corp',
              scopes: ['invoke:summarize'],
            },
            time: { now: new Date(atMs).toISOString(), unix_ms: atMs },
            usage: {
              model: { requests_last_minute: 1, tokens_last_day: 9000, tokens_last_hour: 4000 },
              requests_last_minute: 2,
              tokens_last_day: 18000,
              tokens_last_hour: 8000,
            },
          },
    result:
      outcome === 'rejected'
        ? null
        : {
            allow: allowed,
            obligations,
            reasons: reasons.map((code) => ({
              code,
              message: 'the daily budget of 20000 tokens is used up',
            })),
          },
    reasons,
    obligations,
    max_tokens: allowed ? 4096 : null,
    bundle: outcome === 'rejected' ? null : { name: 'modelgate', revision: 'rego-4d72ded12647' },
    latency_ms: 2,
    client_address: '10.0.0.7',
  };
}

// Helpers ---------------------------------------------------------------------------------------

function allKeys(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) allKeys(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) allKeys(member, into.add(key));
  }
  return into;
}

function quantile(samples: Float64Array, q: number): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

// A seeded generator, so every run measures the same traffic.
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// Heap plus typed-array memory after a full collection: what is retained, not garbage yet to be freed.
function heapUsed(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
