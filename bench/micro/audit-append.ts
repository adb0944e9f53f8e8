import path from 'node:path';
import pino from 'pino';
import { assertAuditRecord } from '../../src/audit/assert-audit-record';
import type { AuditRecordV1 } from '../../src/audit/audit-record';
import { canonicalJson } from '../../src/audit/canonical-json';
import type { SynchronousMode } from '../../src/audit/database';
import { newDecisionId } from '../../src/audit/decision-id';
import { chainHash, GENESIS_HASH } from '../../src/audit/hash-chain';
import { SqliteAuditStore } from '../../src/audit/sqlite-audit-store';
import { buildRecord } from '../../src/decision/build-record';
import { buildVerifiedIdentity, tokenSha256 } from '../../src/identity/verified-identity';
import type { InvocationV1 } from '../../src/schemas/decide-request.schema';
import { timeSync } from '../lib/timing';
import { benchClaims, decideBody } from '../lib/workload';
import { benchPolicyInput } from './policy-input-fixture';

/** The cost of recording one decision. */
export interface AuditAppendResult {
  recordBytes: number;
  /** CPU per record before the queue: schema check, canonical JSON, chain hash (µs). */
  prepare: { assert: number; canonical: number; hash: number };
  /** Appends through SqliteAuditStore with group commit, `concurrency` appenders each awaiting durability. */
  rows: {
    synchronous: SynchronousMode;
    records: number;
    usPerRecord: number;
    recordsPerCommit: number;
    /** Time from appending a batch of `concurrency` records to the last one durable, ms: p50, p99, max. */
    batch: { p50: number; p99: number; max: number };
  }[];
  concurrency: number;
}

/** Returns the audit record of one benchmark decision, built by the pipeline's own buildRecord. */
export function benchRecord(): AuditRecordV1 {
  const input = benchPolicyInput();
  const identity = buildVerifiedIdentity(benchClaims(1), tokenSha256('bench'));
  const obligations = [
    { type: 'redact', classes: ['email', 'phone'] },
    { type: 'cap_tokens', max_tokens: 2048 },
  ];
  const now = Date.now();
  return buildRecord(
    {
      decisionId: newDecisionId(),
      receivedAtMs: now,
      path: '/v1/decide',
      credentials: { authorization: undefined, dpop: [], method: 'POST', target: '/v1/decide' },
      clientAddress: '127.0.0.1',
      body: { ok: true, value: undefined },
    },
    {
      identity,
      invocation: (decideBody() as { invocation: InvocationV1 }).invocation,
      input,
      result: { allow: true, reasons: [], obligations },
      policy: { bundle: 'modelgate', revision: 'bench', entrypoints: ['modelgate/decision'] },
    },
    { outcome: 'allowed', status: 200, reasons: [], obligations, maxTokens: 2048 },
    now,
  );
}

/** Measures the preparation of a record and group-committed appends under FULL and NORMAL. */
export async function auditAppend(
  dir: string,
  records: number,
  measureMs: number,
): Promise<AuditAppendResult> {
  const template = benchRecord();
  const json = canonicalJson(template);
  const prepare = {
    assert: timeSync(() => assertAuditRecord(template), measureMs).us,
    canonical: timeSync(() => canonicalJson(template), measureMs).us,
    hash: timeSync(() => chainHash(GENESIS_HASH, 1, json), measureMs).us,
  };
  const concurrency = 64;
  const rows: AuditAppendResult['rows'] = [];
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    const store = SqliteAuditStore.open({
      path: path.join(dir, `audit-${synchronous}.db`),
      synchronous,
      logger: pino({ level: 'silent' }),
    });
    let issued = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < records) {
          issued += 1;
          await store.append({ ...template, decision_id: newDecisionId() });
        }
      }),
    );
    const elapsed = performance.now() - started;
    const { appended, commits } = store.stats();
    // What one request waits for: its record and the others of the same loop turn, committed.
    const batches: number[] = [];
    for (let i = 0; i < Math.max(50, Math.round(records / 16)); i++) {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, () =>
          store.append({ ...template, decision_id: newDecisionId() }),
        ),
      );
      batches.push(performance.now() - t0);
    }
    batches.sort((x, y) => x - y);
    await store.close();
    rows.push({
      synchronous,
      records: appended,
      usPerRecord: (elapsed * 1000) / appended,
      recordsPerCommit: appended / commits,
      batch: {
        p50: batches[Math.floor(batches.length / 2)]!,
        p99: batches[Math.ceil(batches.length * 0.99) - 1]!,
        max: batches.at(-1)!,
      },
    });
  }
  return { recordBytes: Buffer.byteLength(json), prepare, rows, concurrency };
}
