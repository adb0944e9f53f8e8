import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { DecisionLogsConfig } from '../../src/config/config';
import { startTestService, type TestService } from '../helpers/service';
import { waitFor } from '../helpers/wait-for';
import { DecisionLogCollector } from './decision-log-collector';

const codegen = { sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' };

async function decide(svc: TestService, count: number): Promise<void> {
  const token = svc.token(codegen);
  for (let i = 0; i < count; i++) {
    const res = await svc.post(
      '/v1/decide',
      { invocation: { model: 'anthropic.claude-sonnet', operation: 'completion', max_tokens: 64 } },
      token,
    );
    expect(res.status).toBe(200);
  }
}

function loggedIds(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT decision_id FROM audit_records ORDER BY seq').all() as {
      decision_id: string;
    }[];
    return rows.map((r) => r.decision_id);
  } finally {
    db.close();
  }
}

// Shipping to the collector with short waits, so a test sees batches and retries within a second.
function shippingTo(url: string, cursorDir: string): DecisionLogsConfig {
  return {
    service: { url, resource: '/logs', timeoutMs: 10_000 },
    cursorDir,
    labels: {},
    maxEvents: 100,
    maxBytes: 1024 * 1024,
    maxDelayMs: 20,
    minRetryDelayMs: 20,
    maxRetryDelayMs: 100,
    threadNice: 0,
  };
}

describe('decision-log shipping and its cursor', () => {
  let collector: DecisionLogCollector;
  beforeAll(async () => {
    collector = await DecisionLogCollector.start();
  });
  afterAll(() => collector.close());

  // A failed cursor write (a full disk, a folder gone) ended the shipping loop for good: the status still said
  // nothing was wrong and nothing more was shipped until a restart, although the disk came back.
  it('says so in the status, and ships on, without repeats, once the cursor can be saved again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-ship-recover-'));
    const cursorDir = path.join(dir, 'cursors');
    mkdirSync(cursorDir);
    const decisionLogs = shippingTo(collector.url, cursorDir);
    const svc = await startTestService({ db: path.join(dir, 'shipped.db'), decisionLogs });
    const service = () => svc.decisionLogStatus().find((s) => s.sink === 'service')!;
    try {
      await decide(svc, 3);
      const cursorFile = path.join(cursorDir, 'shipped.db.decision-logs.service.cursor');
      const saved = () => (JSON.parse(readFileSync(cursorFile, 'utf8')) as { seq: number }).seq;
      await waitFor('the first three shipped', () => service().cursor_seq === 3);
      expect(saved()).toBe(3);

      rmSync(cursorDir, { recursive: true });
      await decide(svc, 2);
      await waitFor('the cursor failure in the status', () => /ENOENT/.test(service().last_error ?? ''));
      // The batch was acknowledged before its cursor write failed (how many of the two it held depends on timing).
      expect(collector.accepted.length).toBeGreaterThanOrEqual(4);

      mkdirSync(cursorDir);
      await decide(svc, 2);
      await waitFor('all seven shipped', () => service().backlog === 0 && service().cursor_seq === 7);
      expect(service().last_error).toBeNull();
      expect(saved()).toBe(7);
      expect(collector.accepted.map((e) => e.decision_id)).toEqual(loggedIds(svc.db));
    } finally {
      await svc.close();
    }
  });

  // A cursor from another log (the database restored from a backup, or a new file at the same path) is ahead of its
  // head: every record up to the old cursor was skipped, and the status showed no backlog while it did.
  it('starts again from the head of a log that is behind its cursor, and says so', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-ship-behind-'));
    writeFileSync(path.join(dir, 'restored.db.decision-logs.service.cursor'), JSON.stringify({ seq: 50 }));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const before = collector.accepted.length;
    const svc = await startTestService(
      {
        db: path.join(dir, 'restored.db'),
        decisionLogs: shippingTo(collector.url, dir),
      },
      logger,
    );
    try {
      await decide(svc, 3);
      await waitFor('three shipped', () => collector.accepted.length - before === 3, 10_000);
      expect(collector.accepted.slice(before).map((e) => e.decision_id)).toEqual(loggedIds(svc.db));
      const warning = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'the audit log is behind the shipping cursor; shipping from its head');
      expect(warning).toMatchObject({ sink: 'service', cursor_seq: 50, head_seq: 0 });
    } finally {
      await svc.close();
    }
  });

  // A different log at the same path (a new database, or another one restored over it) with as many records as the
  // cursor or more: its records up to the old cursor were taken as shipped, and never went out.
  it('ships a different log from its start when the record at the cursor is not the one shipped', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-ship-other-'));
    const file = path.join(dir, 'modelgate.db');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const before = collector.accepted.length;
    const first = await startTestService({ db: file, decisionLogs: shippingTo(collector.url, dir) });
    try {
      await decide(first, 3);
      await waitFor('three shipped', () => collector.accepted.length - before === 3, 10_000);
    } finally {
      await first.close();
    }
    const other = await startTestService({ db: path.join(dir, 'other.db') });
    try {
      await decide(other, 5);
    } finally {
      await other.close();
    }
    rmSync(file);
    renameSync(path.join(dir, 'other.db'), file);

    const again = await startTestService({ db: file, decisionLogs: shippingTo(collector.url, dir) }, logger);
    try {
      await waitFor('the other log shipped', () => collector.accepted.length - before === 8, 10_000);
      expect(collector.accepted.slice(before + 3).map((e) => e.decision_id)).toEqual(loggedIds(file));
      const error = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find(
          (l) =>
            l.msg ===
            'the record at the shipping cursor is not the one shipped; shipping this log from its start',
        );
      expect(error).toMatchObject({ sink: 'service', cursor_seq: 3 });
    } finally {
      await again.close();
    }
  });

  // A collector behind a body size limit (nginx: 1 MiB by default) refused every batch as too large, and the same
  // batch was sent again for ever: nothing more was shipped, although smaller batches would have gone through.
  it('halves the batches a collector refuses as too large (413), and ships everything in order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-ship-413-'));
    collector.maxEventsPerDelivery = 3;
    const before = collector.accepted.length;
    const svc = await startTestService({
      db: path.join(dir, 'large.db'),
      decisionLogs: {
        service: { url: collector.url, resource: '/logs', timeoutMs: 10_000 },
        cursorDir: dir,
        labels: {},
        maxEvents: 10,
        maxBytes: 1024 * 1024,
        maxDelayMs: 1000,
        minRetryDelayMs: 20,
        maxRetryDelayMs: 100,
        threadNice: 0,
      },
    });
    try {
      await decide(svc, 10);
      await waitFor('all ten shipped', () => collector.accepted.length - before === 10, 10_000);
      expect(collector.deliveries.some((d) => d.status === 413)).toBe(true);
      expect(collector.accepted.slice(before).map((e) => e.decision_id)).toEqual(loggedIds(svc.db));
    } finally {
      collector.maxEventsPerDelivery = undefined;
      await svc.close();
    }
  });
});
