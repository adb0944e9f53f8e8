import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import {
  newDecisionId,
  SqliteAuditStore,
  type AuditRecordV1,
  type SqliteAuditStoreOptions,
} from '../../src/audit';

/** A logger that says nothing: tests assert on behaviour, not log lines. */
export const silentLogger = pino({ level: 'silent' });

const dirs: string[] = [];
const opened = new Set<SqliteAuditStore>();
// One hook for the whole test file: stores close before their folders go.
afterAll(async () => {
  for (const store of opened) await store.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Returns a fresh temporary folder (usable inside a test), removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-audit-'));
  dirs.push(dir);
  return dir;
}

let clock = Date.parse('2026-11-22T10:00:00.000Z');

/** Returns a valid record; each call is one millisecond after the previous one unless timestamp is given. */
export function makeRecord(overrides: Partial<AuditRecordV1> = {}): AuditRecordV1 {
  clock += 1;
  return {
    decision_id: newDecisionId(),
    timestamp: new Date(clock).toISOString(),
    path: '/v1/decide',
    outcome: 'allowed',
    status: 200,
    subject: 'spiffe://corp/ci/build-bot',
    issuer: 'https://idp.corp',
    actor: null,
    token_id: 'jti-1',
    model: 'anthropic.claude-sonnet',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
    input: {
      subject: { id: 'spiffe://corp/ci/build-bot' },
      payload: { present: true, chars: 120, findings: { email: 1 } },
    },
    result: { allow: true, reasons: [], obligations: [{ type: 'cap_tokens', max_tokens: 1024 }] },
    reasons: [],
    obligations: [{ type: 'cap_tokens', max_tokens: 1024 }],
    max_tokens: 1024,
    bundle: { name: 'modelgate', revision: 'r1' },
    latency_ms: 2.5,
    client_address: '10.0.0.7',
    ...overrides,
  };
}

/** Opens a store on a file (usable inside a test); closed after the test file. */
export function openStore(file: string, options: Partial<SqliteAuditStoreOptions> = {}): SqliteAuditStore {
  const store = SqliteAuditStore.open({ path: file, logger: silentLogger, ...options });
  opened.add(store);
  return store;
}

/** Appends n records (all at once, so they share group commits) and returns them. */
export async function appendMany(
  store: SqliteAuditStore,
  n: number,
  make: (i: number) => Partial<AuditRecordV1> = () => ({}),
): Promise<AuditRecordV1[]> {
  const records = Array.from({ length: n }, (_, i) => makeRecord(make(i)));
  await Promise.all(records.map((record) => store.append(record)));
  return records;
}

/** Runs SQL on the file through a separate connection, as an attacker with file access would. */
export function tamper(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** Returns a digest of every row of every audit table: equal digests mean nothing stored changed. */
export function contentDigest(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = ['audit_records', 'audit_reasons', 'audit_checkpoints', 'audit_prunes'];
    return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
  } finally {
    db.close();
  }
}
