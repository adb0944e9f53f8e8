/**
 * Audit log append throughput with and without group commit, for synchronous FULL and NORMAL.
 * C concurrent "requests" each append, await durability, and append again, as the decision
 * pipeline does; without batching every append is its own transaction (one fsync each).
 *
 *   npx tsc -p tsconfig.check.json --noEmit false --outDir /tmp/modelgate-bench-build
 *   NODE_PATH=$PWD/node_modules node /tmp/modelgate-bench-build/bench/audit.bench.js \
 *     [--records 3000] [--concurrency 64] [--dir DIR]
 *
 * DIR must be on the disk you care about: on tmpfs fsync is free and the numbers mean nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { newDecisionId, SqliteAuditStore, type AuditRecordV1, type SynchronousMode } from '../src/audit';

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

function record(): AuditRecordV1 {
  return {
    decision_id: newDecisionId(),
    timestamp: new Date().toISOString(),
    path: '/v1/decide',
    outcome: 'allowed',
    status: 200,
    subject: 'spiffe://corp/ci/build-bot',
    issuer: 'https://idp.corp',
    actor: null,
    token_id: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    model: 'anthropic.claude-sonnet',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
    input: {
      subject: {
        id: 'spiffe://corp/ci/build-bot',
        scopes: ['invoke:codegen'],
        claims: { sub: 'x', aud: 'modelgate' },
      },
      invocation: { model: 'anthropic.claude-sonnet', operation: 'chat', max_tokens: 4096 },
      payload: { present: true, chars: 5312, findings: { email: 2 } },
      usage: { requests_last_minute: 3, tokens_last_hour: 18000, tokens_last_day: 91000 },
    },
    result: {
      allow: true,
      reasons: [{ code: 'budget_low' }],
      obligations: [{ type: 'cap_tokens', max_tokens: 1024 }],
    },
    reasons: ['budget_low'],
    obligations: [{ type: 'cap_tokens', max_tokens: 1024 }],
    max_tokens: 1024,
    bundle: { name: 'modelgate', revision: 'r1' },
    latency_ms: 1.7,
    client_address: '10.0.0.7',
  };
}

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
        await store.append(record());
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
