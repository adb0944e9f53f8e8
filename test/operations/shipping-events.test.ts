import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { auditMigrations } from '../../src/audit/audit-migrations';
import type { StoredAuditRecord } from '../../src/audit/audit-store';
import { openDatabase } from '../../src/audit/database';
import type { DecisionLogsConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { opaEvent } from '../../src/shipping/opa-event';
import { startDecisionLogShipping } from '../../src/shipping/start-shipping';
import { startTestService } from '../helpers/service';
import { waitFor } from '../helpers/wait-for';

const CODEGEN = { sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' };
const TRIAGE = {
  sub: 'spiffe://corp/agents/triage-workflow',
  scope: 'invoke:agents',
  act: { sub: 'agent:triage' },
};
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const call = (repository: string, context: Record<string, unknown> = {}) => ({
  invocation: {
    model: 'anthropic.claude-sonnet',
    provider: 'bedrock',
    operation: 'completion',
    max_tokens: 64,
  },
  context: { environment: 'ci', repository, ...context },
});
const triage = (operation: 'chat' | 'tool_call', context: Record<string, unknown> = {}) => ({
  invocation: {
    model: 'anthropic.claude-sonnet',
    operation,
    purpose: 'ticket-triage',
    tools: [{ name: 'tickets.read' }],
  },
  context,
});

// Every record, read straight from the SQLite file and parsed as the audit store stores it.
function storedRecords(dbFile: string): StoredAuditRecord[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT seq, record, prev_hash, hash FROM audit_records ORDER BY seq').all() as {
      seq: number;
      record: string;
      prev_hash: string;
      hash: string;
    }[];
    return rows.map((row) => ({
      ...(JSON.parse(row.record) as StoredAuditRecord),
      seq: row.seq,
      prev_hash: row.prev_hash,
      hash: row.hash,
    }));
  } finally {
    db.close();
  }
}

describe('the shipping thread', () => {
  it('builds, in SQLite, exactly the events opaEvent defines, for records of every kind', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-shipping-events-'));
    const decisionLogs: DecisionLogsConfig = {
      file: { path: path.join(dir, 'decisions.jsonl') },
      cursorDir: dir,
      labels: { environment: 'test' },
      maxEvents: 5,
      maxBytes: 1024 * 1024,
      maxDelayMs: 20,
      minRetryDelayMs: 20,
      maxRetryDelayMs: 200,
      threadNice: 19,
    };
    const svc = await startTestService({ db: path.join(dir, 'events.db'), decisionLogs });
    try {
      const token = svc.token(CODEGEN);
      await svc.post('/v1/decide', call('corp/webapp'), token);
      await svc.post('/v1/decide', call('corp/payments'), token);
      await svc.post('/v1/decide', call('corp/webapp'), null);
      await svc.post('/v1/decide', { invocation: { model: 'm' } }, token);
      await svc.post('/v1/decide', call('corp/webapp', { ticket: 'café "quoted" \\ \n\u2028 😀' }), token);
      await svc.post('/v1/data/modelgate/decision', { input: call('corp/webapp') }, token);
      const agent = svc.token(TRIAGE);
      const root = await svc.post('/v1/decide', triage('chat', { session_id: 'chat-4711' }), agent, {
        traceparent: TRACEPARENT,
      });
      const parent = root.body.decision_id as string;
      await svc.post('/v1/decide', triage('tool_call', { parent_decision_id: parent }), agent);

      const records = storedRecords(svc.db);
      // Precondition: the records cover every outcome, both routes, and records with and without links.
      expect(new Set(records.map((r) => r.outcome))).toEqual(new Set(['allowed', 'denied', 'rejected']));
      expect(new Set(records.map((r) => r.path))).toEqual(
        new Set(['/v1/decide', '/v1/data/modelgate/decision']),
      );
      expect(records.some((r) => r.input === null)).toBe(true);
      const links = records.map((r) => (r.input as { lineage?: Record<string, unknown> } | null)?.lineage);
      expect(links.some((l) => l?.trace_id && l.session_id && !l.parent_id)).toBe(true);
      expect(links.some((l) => l?.parent_id && l.root_id)).toBe(true);

      await waitFor('every record shipped', () => svc.decisionLogStatus()[0]?.cursor_seq === records.length);
      const lines = readFileSync(decisionLogs.file!.path, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(records.length);
      records.forEach((record, i) => {
        const shipped = JSON.parse(lines[i]!) as Record<string, unknown>;
        const context = {
          labels: shipped.labels as Record<string, string>,
          entrypoint: 'modelgate/decision',
        };
        expect(shipped.labels).toMatchObject({ app: 'modelgate', environment: 'test' });
        const expected = JSON.parse(JSON.stringify(opaEvent(record, context))) as Record<string, unknown>;
        expect(shipped).toStrictEqual(expected);
        expect(Object.keys(shipped)).toEqual(Object.keys(expected));
      });
    } finally {
      await svc.close();
    }
  });

  it('refuses to start, naming the key to fix, when the thread cannot set up a sink or read a cursor', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-shipping-start-'));
    const dbFile = path.join(dir, 'start.db');
    const db = openDatabase(dbFile, [auditMigrations]);
    const base = {
      cursorDir: dir,
      labels: {},
      maxEvents: 5,
      maxBytes: 1024,
      maxDelayMs: 20,
      minRetryDelayMs: 20,
      maxRetryDelayMs: 200,
      threadNice: 19,
    };
    const start = (config: DecisionLogsConfig) =>
      startDecisionLogShipping(config, {
        db,
        dbFile,
        entrypoint: 'modelgate/decision',
        logger: pino({ level: 'silent' }),
      });
    try {
      // Precondition: with a readable setup the thread starts, and stops cleanly.
      const file = { path: path.join(dir, 'decisions.jsonl') };
      const running = await start({ ...base, file });
      expect(running.status()).toMatchObject([{ sink: 'file', cursor_seq: 0, backlog: 0 }]);
      await running.stop();

      const service = {
        url: 'http://127.0.0.1:9',
        resource: '/logs',
        bearerTokenFile: path.join(dir, 'no-such-token'),
        timeoutMs: 1000,
      };
      const missingToken = start({ ...base, service });
      await expect(missingToken).rejects.toThrow(ConfigError);
      await expect(missingToken).rejects.toThrow(
        'config: decision_logs.service.bearer_token_file: cannot read',
      );

      writeFileSync(path.join(dir, 'start.db.decision-logs.file.cursor'), '{"seq": -1}');
      await expect(start({ ...base, file })).rejects.toThrow('config: decision_logs.cursor_dir:');
    } finally {
      db.close();
    }
  });
});
