/**
 * A verdict and its audit record are one transaction: a verdict whose record cannot be written, or a process
 * killed while the record is being committed, leaves the approval pending with no record, never granted with
 * none. The failures are real ones of the SQLite file: a trigger on the audit table makes the approve record's
 * insert fail (an SQLite runtime error, as a damaged or full database gives), or keeps the writer's transaction
 * busy until the test kills the server with SIGKILL.
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { startChildService, type ChildService } from '../helpers/child-service';
import type { TestService } from '../helpers/service';
import { waitFor } from '../helpers/wait-for';
import {
  approvalEvents,
  approvalService,
  APPROVE_SCOPE,
  codes,
  pipelineChange,
  tokens,
} from './approval-fixtures';

// Only the approve event is an allowed record on an approve path; the refusal of the call is recorded as rejected.
const APPROVE_RECORD = `NEW.path LIKE '/v1/approvals/%/approve' AND NEW.outcome = 'allowed'`;

function withDb<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file, { timeout: 0 });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

function approvalStatus(file: string, id: string): string {
  return withDb(file, (db) => {
    const row = db.prepare('SELECT status FROM approvals WHERE id = ?').get(id) as { status: string };
    return row.status;
  });
}

// True while another connection holds the write lock (here: the writer thread inside its transaction).
function writeLocked(file: string): boolean {
  return withDb(file, (db) => {
    try {
      db.exec('BEGIN IMMEDIATE; ROLLBACK');
      return false;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
      throw err;
    }
  });
}

describe('an approval verdict and its audit record', () => {
  let svc: ChildService;
  let t: ReturnType<typeof tokens>;

  beforeEach(async () => {
    svc = await startChildService();
    t = tokens(svc);
  });
  afterEach(async () => {
    await svc.exited.then(
      () => undefined,
      () => undefined,
    );
    rmSync(svc.dir, { recursive: true, force: true });
  });

  async function pendingApproval(content: string): Promise<string> {
    const body = pipelineChange({ payload: { messages: [{ role: 'user', content }] } });
    const reply = await svc.post('/v1/decide', body, t.requester);
    expect(codes(reply.body)).toEqual(['approval_required']);
    return (reply.body.approval as { id: string }).id;
  }

  it('answers 503 audit_unavailable and leaves the approval pending when the record cannot be written', async () => {
    const id = await pendingApproval('Raise the deploy timeout');
    withDb(svc.db, (db) =>
      db.exec(`CREATE TRIGGER fail_approve BEFORE INSERT ON audit_records WHEN ${APPROVE_RECORD}
               BEGIN SELECT abs(-9223372036854775808); END`),
    );

    const refused = await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver);
    expect(refused.status).toBe(503);
    expect(codes(refused.body)).toEqual(['audit_unavailable']);
    expect(approvalStatus(svc.db, id)).toBe('pending');
    expect(approvalEvents(svc.db, id).map((e) => e.path.split('/').pop())).toEqual(['requested']);

    // The same call succeeds once the record can be written: the refusal left nothing behind.
    withDb(svc.db, (db) => db.exec('DROP TRIGGER fail_approve'));
    const approved = await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver);
    expect(approved.status).toBe(200);
    expect(approvalStatus(svc.db, id)).toBe('approved');
    expect(approvalEvents(svc.db, id).map((e) => e.path.split('/').pop())).toEqual(['requested', 'approve']);
    await svc.stop();
  });

  it('lets one of two approvers deciding at once win, with one verdict record', async () => {
    const id = await pendingApproval('Pin the base image');
    const second = svc.token({ sub: 'user:dave@corp', scope: APPROVE_SCOPE, groups: ['platform-leads'] });
    const [approve, deny] = await Promise.all([
      svc.post(`/v1/approvals/${id}/approve`, {}, t.approver),
      svc.post(`/v1/approvals/${id}/deny`, {}, second),
    ]);
    expect([approve.status, deny.status].sort()).toEqual([200, 409]);
    const loser = approve.status === 409 ? approve : deny;
    expect(codes(loser.body)).toEqual(['approval_not_pending']);
    const winner = approve.status === 200 ? 'approved' : 'denied';
    expect(approvalStatus(svc.db, id)).toBe(winner);
    const events = approvalEvents(svc.db, id);
    expect(events.map((e) => e.record.result.approval?.status)).toEqual(['pending', winner]);
    await svc.stop();
  });

  it('leaves the approval pending with no record when the server dies while the record is committed', async () => {
    const id = await pendingApproval('Rotate the deploy key');
    // A billion-row join: the writer's transaction stays open far longer than the test needs to kill the server.
    withDb(svc.db, (db) =>
      db.exec(`CREATE TABLE slow_rows (x);
               WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
               INSERT INTO slow_rows SELECT i FROM n;
               CREATE TRIGGER slow_approve BEFORE INSERT ON audit_records WHEN ${APPROVE_RECORD}
               BEGIN SELECT count(*) FROM slow_rows a, slow_rows b, slow_rows c; END`),
    );
    expect(writeLocked(svc.db)).toBe(false);

    const call = svc.post(`/v1/approvals/${id}/approve`, {}, t.approver).catch((err: unknown) => err);
    // Held across several looks: a single short statement on another connection never holds it that long.
    let heldFor = 0;
    await waitFor('the writer thread to hold the write lock', () => {
      heldFor = writeLocked(svc.db) ? heldFor + 1 : 0;
      return heldFor >= 8;
    });
    process.kill(svc.pid, 'SIGKILL');
    await svc.exited;
    await call;

    expect(approvalEvents(svc.db, id).map((e) => e.path.split('/').pop())).toEqual(['requested']);
    expect(approvalStatus(svc.db, id)).toBe('pending');
  });
});

describe('a new approval and its requested record', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  approvalService((started) => {
    svc = started;
    t = tokens(started);
  });

  it('opens no approval when its requested record cannot be written', async () => {
    const body = pipelineChange({
      payload: { messages: [{ role: 'user', content: 'Drop the canary stage' }] },
    });
    withDb(svc.db, (db) =>
      db.exec(`CREATE TRIGGER fail_requested BEFORE INSERT ON audit_records
               WHEN NEW.path LIKE '/v1/approvals/%/requested'
               BEGIN SELECT abs(-9223372036854775808); END`),
    );
    const refused = await svc.post('/v1/decide', body, t.requester);
    expect(refused.status).toBe(503);
    expect(refused.body.allow).toBe(false);
    expect(codes(refused.body)).toEqual(['audit_unavailable']);
    expect(withDb(svc.db, (db) => db.prepare('SELECT count(*) AS n FROM approvals').get())).toEqual({ n: 0 });

    withDb(svc.db, (db) => db.exec('DROP TRIGGER fail_requested'));
    const asked = await svc.post('/v1/decide', body, t.requester);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;
    expect(approvalEvents(svc.db, id).map((e) => e.record.result.approval?.request_decision_id)).toEqual([
      asked.body.decision_id,
    ]);
  });
});
