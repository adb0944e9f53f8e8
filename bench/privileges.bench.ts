/**
 * Privileges report on a large audit log: how long `modelgate report privileges` takes over
 * 1M recorded decisions (default) of the last 30 days.
 *
 * The log is a real SQLite file written by the audit store's own ChainWriter (hash chain, derived
 * columns, reason rows, the lineage indexes and privilege facts), a transaction per 10,000 records,
 * synchronous OFF: records go through canonicalJson and the chain hash like every appended record, only
 * without a group commit per batch. 200 subjects over 3 models and 4 tools; 80% allowed, 15%
 * denied (a third of those for a model or tool not granted), 5% rejected before the policy ran.
 * The report itself is the one the CLI and the API run (privilegesReport), timed three times.
 *
 *   npx tsx bench/privileges.bench.ts [--records 1000000] [--subjects 200] [--db FILE] [--keep]
 *
 * --db FILE reuses (or creates and keeps) a generated database.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditMigrations } from '../src/audit/audit-migrations';
import type { AuditRecordV1 } from '../src/audit/audit-record';
import { canonicalJson } from '../src/audit/canonical-json';
import { ChainWriter, type PreparedRecord } from '../src/audit/chain-writer';
import { preparedRecord } from '../src/audit/prepare-record';
import { openDatabase } from '../src/audit/database';
import { createDecisionIdGenerator } from '../src/audit/decision-id';
import { privilegesReport } from '../src/reports/privileges';

const DAY_MS = 86_400_000;
const MODELS = ['anthropic.claude-haiku', 'anthropic.claude-sonnet', 'anthropic.claude-opus'];
const TOOLS = ['tickets.read', 'tickets.create', 'inventory.query', 'payments.initiate'];

/** Generates (or reuses) the log, runs the report three times, prints the timings. */
export function main(argv: string[] = process.argv.slice(2)): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string', default: '1000000' },
      subjects: { type: 'string', default: '200' },
      db: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const records = Number(values.records);
  const subjects = Number(values.subjects);
  const dir = values.db ? null : mkdtempSync(join(tmpdir(), 'mg-privileges-bench-'));
  const file = values.db ?? join(dir as string, 'audit.db');
  try {
    if (!existsSync(file)) {
      const generated = generate(file, records, subjects);
      console.log(
        `generated ${records.toLocaleString('en-US')} chained records in ${generated.seconds.toFixed(1)} s (${generated.mb} MB)`,
      );
    }
    const bundle = {
      name: 'bench',
      revision: 'bench',
      data: { entitlements: { subjects: entitlements(subjects) } },
    };
    const db = openDatabase(file, [auditMigrations], { readonly: true });
    const rows = [];
    for (let run = 1; run <= 3; run++) {
      const started = process.hrtime.bigint();
      const { report } = privilegesReport(db, bundle, {
        fromMs: Date.now() - 30 * DAY_MS,
        entitlementsPath: 'entitlements.subjects',
      });
      const allMs = Number(process.hrtime.bigint() - started) / 1e6;
      const one = process.hrtime.bigint();
      privilegesReport(db, bundle, {
        fromMs: Date.now() - 30 * DAY_MS,
        subject: 'spiffe://corp/bench/workload-7',
        entitlementsPath: 'entitlements.subjects',
      });
      const oneMs = Number(process.hrtime.bigint() - one) / 1e6;
      const allowed = report.subjects.reduce((n, s) => n + s.allowed, 0);
      rows.push({
        run,
        'all subjects ms': Math.round(allMs),
        'one subject ms': Math.round(oneMs),
        subjects: report.subjects.length,
        allowed,
      });
    }
    db.close();
    console.table(rows);
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; shared machine: figures are indicative`,
    );
  } finally {
    if (dir && !values.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`database kept at ${file}`);
  }
}

function generate(file: string, total: number, subjects: number): { seconds: number; mb: number } {
  const started = process.hrtime.bigint();
  const db = openDatabase(file, [auditMigrations], { synchronous: 'NORMAL' });
  const chain = new ChainWriter(db);
  const now = Date.now();
  let clock = now;
  const nextId = createDecisionIdGenerator(() => clock);
  const random = lcg(42);
  // A generated file is thrown away if the machine crashes: no fsync, and a transaction per 10,000
  // records so the WAL is checkpointed as it goes instead of growing to the size of the log.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const write = db.transaction((from: number) => {
    for (let done = from; done < Math.min(from + 10_000, total); done += 1000) {
      const batch: PreparedRecord[] = [];
      for (let i = done; i < Math.min(done + 1000, total); i++) {
        // Oldest first, spread evenly over the 30 days before now, so the chain is in time order.
        const atMs = now - 30 * DAY_MS + Math.floor(((i + 0.5) * 30 * DAY_MS) / total);
        clock = atMs;
        const record = benchRecord(nextId(), atMs, random, subjects);
        batch.push(preparedRecord(record, canonicalJson(record)));
      }
      chain.append(batch);
    }
  });
  for (let from = 0; from < total; from += 10_000) write(from);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes =
    (db.pragma('page_count', { simple: true }) as number) *
    (db.pragma('page_size', { simple: true }) as number);
  db.close();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, mb: Math.round(bytes / 1e6) };
}

// Subject i is granted every model and tool; it uses model i % 3 (and haiku) and tools i % 4.
function entitlements(subjects: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < subjects; i++) {
    out[`spiffe://corp/bench/workload-${i}`] = {
      models: MODELS,
      operations: ['chat', 'tool_call', 'embedding'],
      purposes: ['bench', 'other'],
      tools: Object.fromEntries(TOOLS.map((t) => [t, { access: 'read', agents: ['agent:bench'] }])),
      limits: { daily_tokens: 5_000_000, requests_per_minute: 600, max_tokens_per_call: 8192 },
    };
  }
  return out;
}

// A record shaped like what the pipeline writes for /v1/decide (about 1.5 kB of canonical JSON).
// Every object literal lists its keys in canonical (sorted) order, so JSON.stringify of the record
// is already its canonical JSON: the log generator (audit-log-gen.ts) relies on that, and checks
// it against canonicalJson. The random draws stay in their original order (the same data as before).
export function benchRecord(id: string, atMs: number, random: () => number, subjects: number): AuditRecordV1 {
  const n = Math.floor(random() * subjects);
  const subject = `spiffe://corp/bench/workload-${n}`;
  const roll = random();
  const outcome = roll < 0.8 ? 'allowed' : roll < 0.95 ? 'denied' : 'rejected';
  const toolCall = random() < 0.3;
  const model = random() < 0.5 ? MODELS[0]! : MODELS[n % 3]!;
  const notGranted = outcome === 'denied' && random() < 0.33;
  const inputTokens = 200 + Math.floor(random() * 2000);
  const invocation = {
    input_tokens: inputTokens,
    max_tokens: 1024,
    model: notGranted ? 'openai.gpt-4o' : model,
    operation: toolCall ? 'tool_call' : 'chat',
    purpose: 'bench',
    ...(toolCall ? { tools: [{ name: TOOLS[n % 4]! }] } : {}),
  };
  const rejected = outcome === 'rejected';
  const reasons =
    outcome === 'denied'
      ? [notGranted ? 'model_not_allowed' : 'rate_limited']
      : rejected
        ? ['token_expired']
        : [];
  let input: Record<string, unknown> | null = null;
  if (!rejected) {
    const requestsLastMinute = Math.floor(random() * 20);
    const tokensLastHour = Math.floor(random() * 50_000);
    const tokensLastDay = Math.floor(random() * 400_000);
    input = {
      context: { approval_id: null, environment: 'prod' },
      invocation,
      payload: { chars: 2048, findings: { email: 1 }, present: true },
      subject: {
        actor: toolCall ? { sub: 'agent:bench' } : null,
        audience: ['modelgate'],
        claims: {
          aud: 'modelgate',
          exp: Math.floor(atMs / 1000) + 3540,
          iat: Math.floor(atMs / 1000) - 60,
          iss: 'https://idp.corp',
          scope: 'invoke:bench',
          sub: subject,
        },
        id: subject,
        issuer: 'https://idp.corp',
        scopes: ['invoke:bench'],
      },
      time: { now: new Date(atMs).toISOString(), unix_ms: atMs },
      usage: {
        requests_last_minute: requestsLastMinute,
        tokens_last_day: tokensLastDay,
        tokens_last_hour: tokensLastHour,
      },
    };
  }
  return {
    actor: toolCall && !rejected ? 'agent:bench' : null,
    bundle: rejected ? null : { name: 'modelgate', revision: 'bench' },
    client_address: '10.0.0.1',
    decision_id: id,
    input,
    issuer: rejected ? null : 'https://idp.corp',
    latency_ms: 1.2,
    max_tokens: outcome === 'allowed' ? 1024 : null,
    model: invocation.model,
    obligations: outcome === 'allowed' ? [{ classes: ['email'], type: 'redact' }] : [],
    operation: invocation.operation,
    outcome,
    path: '/v1/decide',
    provider: 'bedrock',
    purpose: 'bench',
    reasons,
    result: rejected
      ? null
      : {
          allow: outcome === 'allowed',
          obligations: [],
          reasons: reasons.map((code) => ({ code, message: code })),
        },
    status: rejected ? 401 : 200,
    subject: rejected ? null : subject,
    timestamp: new Date(atMs).toISOString(),
    token_id: `sha256:${id.replace(/-/g, '')}`,
  } as AuditRecordV1;
}

export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

if (require.main === module) main();
