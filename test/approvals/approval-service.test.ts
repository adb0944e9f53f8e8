/**
 * ApprovalService on a real SQLite file with the real audit store, and a clock the test moves:
 * expiry (pending and granted), max_uses, the sweep, and the audit record of each step.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { auditMigrations } from '../../src/audit/audit-migrations';
import { openDatabase, type Db } from '../../src/audit/database';
import { SqliteAuditStore } from '../../src/audit/sqlite-audit-store';
import { bindingOf } from '../../src/approvals/approval-binding';
import { approvalMigrations } from '../../src/approvals/approval-migrations';
import type { Approval } from '../../src/approvals/approval';
import type { ApprovalNotifier } from '../../src/approvals/approval-notifier';
import { ApprovalService, approvalTerms } from '../../src/approvals/approval-service';
import { inlineApprovalLog, SqliteApprovalStore } from '../../src/approvals/sqlite-approval-store';
import { newDecisionId } from '../../src/audit';
import { validateDecisionDocument } from '../../src/schemas/validators';
import { approvalEvents } from './approval-fixtures';

const requester = { subject: 'spiffe://corp/agent', issuer: 'https://idp.test', actor: 'agent:x' };
const actor = { ...requester, tokenId: 'jti-1' };
const request = {
  invocation: { model: 'm', operation: 'tool_call' as const, tools: [{ name: 'payments.initiate' }] },
  payload: { prompt: 'pay invoice 7' },
};

describe('ApprovalService', () => {
  let db: Db;
  let file: string;
  let audit: SqliteAuditStore;
  let store: SqliteApprovalStore;
  let service: ApprovalService;
  let nowMs: number;
  const announced: Approval[] = [];
  const notifier: ApprovalNotifier = { pending: (a) => announced.push(a), close: async () => undefined };

  beforeEach(() => {
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-approvals-')), 'modelgate.db');
    db = openDatabase(file, [auditMigrations, approvalMigrations]);
    const logger = pino({ level: 'silent' });
    audit = SqliteAuditStore.open({ database: db, logger });
    store = new SqliteApprovalStore(db, inlineApprovalLog(audit, db));
    nowMs = Date.parse('2026-11-22T10:00:00Z');
    announced.length = 0;
    service = new ApprovalService({
      store,
      recorder: audit,
      notifier,
      logger,
      now: () => nowMs,
      maxPendingPerSubject: 3,
    });
  });
  afterEach(async () => {
    await audit.close();
    db.close();
  });

  const askFor = (
    payload: Record<string, unknown>,
    obligations: Record<string, unknown>[] = [{ type: 'require_approval', reason: 'payments' }],
  ) =>
    service.request({
      decisionId: newDecisionId(),
      binding: bindingOf(requester, { ...request, payload }),
      findings: { iban: 1 },
      obligations: obligations as never,
      actor,
      clientAddress: '127.0.0.1',
      shown: async () => ({
        context: {},
        invocation: bindingOf(requester, { ...request, payload }).invocation,
      }),
    });
  const ask = async (obligations?: Record<string, unknown>[]) =>
    (await askFor(request.payload, obligations))!;

  const approve = async (approval: Approval) => {
    const ok = await store.decide(approval.id, {
      status: 'approved',
      by: 'alice',
      atMs: nowMs,
      comment: null,
      expiresMs: nowMs + approval.ttlSeconds * 1000,
    });
    expect(ok).toBe(true);
    return (await store.get(approval.id))!;
  };

  it('takes the strictest terms of several obligations, with defaults of 1 h and one use', () => {
    expect(approvalTerms([{ type: 'require_approval' }])).toEqual({
      reasons: [],
      approvers: null,
      ttlSeconds: 3600,
      maxUses: 1,
    });
    expect(
      approvalTerms([
        { type: 'require_approval', reason: 'a', approvers: 'g1', ttl_seconds: 600, max_uses: 3 },
        { type: 'require_approval', reason: 'b', approvers: 'g2', ttl_seconds: 300 },
      ]),
    ).toEqual({ reasons: ['a', 'b'], approvers: 'g1', ttlSeconds: 300, maxUses: 3 });
  });

  it('bounds ttl_seconds and max_uses in the decision document schema', () => {
    const doc = (o: Record<string, unknown>) => ({
      allow: true,
      obligations: [{ type: 'require_approval', reason: 'r', ...o }],
    });
    expect(validateDecisionDocument(doc({ ttl_seconds: 60, max_uses: 1000, approvers: 'g' }))).toBe(true);
    for (const bad of [
      { ttl_seconds: 59 },
      { ttl_seconds: 2592001 },
      { max_uses: 0 },
      { max_uses: 1001 },
      { approvers: '' },
    ]) {
      expect(validateDecisionDocument(doc(bad))).toBe(false);
    }
  });

  it('announces a new pending approval once, and records it', async () => {
    const first = await ask();
    const again = await ask();
    expect(again.id).toBe(first.id);
    expect(announced.map((a) => a.id)).toEqual([first.id]);
    expect(approvalEvents(file, first.id).map((e) => e.record.reasons[0])).toEqual(['approval_requested']);
  });

  it('opens no approval past the pending limit of its subject: nothing recorded, nobody told', async () => {
    const opened = [];
    for (const n of [1, 2, 3]) opened.push((await askFor({ prompt: `pay invoice ${n}` }))!.id);
    expect(await askFor({ prompt: 'pay invoice 4' })).toBeNull();
    // The ones already pending are still returned.
    expect((await askFor({ prompt: 'pay invoice 2' }))?.id).toBe(opened[1]);
    expect(announced.map((a) => a.id)).toEqual(opened);
    expect((await store.list({ status: 'pending', limit: 10 })).length).toBe(3);
    // Once one lapses, there is room for a new one.
    nowMs += 3600_000;
    expect(await askFor({ prompt: 'pay invoice 4' })).not.toBeNull();
  });

  it('expires a pending request after its ttl; asking again then opens a new one', async () => {
    const first = await ask([{ type: 'require_approval', ttl_seconds: 600 }]);
    nowMs += 600_000;
    const second = await ask([{ type: 'require_approval', ttl_seconds: 600 }]);
    expect(second.id).not.toBe(first.id);
    expect((await store.get(first.id))!.status).toBe('expired');
    expect(approvalEvents(file, first.id).map((e) => [e.path.split('/').pop(), e.outcome])).toEqual([
      ['requested', 'denied'],
      ['expire', 'denied'],
    ]);
  });

  it('spends max_uses uses of a grant, then it is used up', async () => {
    const granted = await approve(await ask([{ type: 'require_approval', max_uses: 2 }]));
    expect((await service.use(granted, newDecisionId(), actor, null))?.usesLeft).toBe(1);
    const last = await service.use(granted, newDecisionId(), actor, null);
    expect(last).toMatchObject({ usesLeft: 0, status: 'used_up' });
    expect(await service.use(granted, newDecisionId(), actor, null)).toBeNull();
    expect((await store.get(granted.id))!.status).toBe('used_up');
    expect(approvalEvents(file, granted.id).map((e) => e.path.split('/').pop())).toEqual([
      'requested',
      'use',
      'use',
    ]);
  });

  it('refuses a use once the grant has expired, and the sweep records the expiry', async () => {
    const granted = await approve(await ask([{ type: 'require_approval', ttl_seconds: 120 }]));
    nowMs += 119_000;
    expect(await service.refresh(granted)).toMatchObject({ status: 'approved' });
    nowMs += 1_000;
    expect(await service.use(granted, newDecisionId(), actor, null)).toBeNull();
    expect(await service.sweep()).toBe(1);
    expect(await service.sweep()).toBe(0);
    expect((await store.get(granted.id))!.status).toBe('expired');
    const events = approvalEvents(file, granted.id);
    expect(events.map((e) => e.path.split('/').pop())).toEqual(['requested', 'expire']);
    expect(events[1]!.subject).toBeNull();
    expect(events[1]!.record.result.approval).toMatchObject({ status: 'expired' });
    expect((await audit.verify()).ok).toBe(true);
  });

  it('a decision on an expired request is refused by the store', async () => {
    const pending = await ask([{ type: 'require_approval', ttl_seconds: 60 }]);
    nowMs += 60_000;
    const ok = await store.decide(pending.id, {
      status: 'approved',
      by: 'alice',
      atMs: nowMs,
      comment: null,
      expiresMs: nowMs + 60_000,
    });
    expect(ok).toBe(false);
  });

  it('leaves an overdue approval to the next sweep when its expire record cannot be written', async () => {
    const pending = await ask([{ type: 'require_approval', ttl_seconds: 60 }]);
    nowMs += 60_000;
    // The expire record fails with an SQLite runtime error, as a damaged or full database gives.
    db.exec(`CREATE TRIGGER fail_expire BEFORE INSERT ON audit_records WHEN NEW.path LIKE '%/expire'
             BEGIN SELECT abs(-9223372036854775808); END`);
    await expect(service.sweep()).rejects.toMatchObject({ code: 'audit_unavailable' });
    expect((await store.get(pending.id))!.status).toBe('pending');

    db.exec('DROP TRIGGER fail_expire');
    expect(await service.sweep()).toBe(1);
    expect((await store.get(pending.id))!.status).toBe('expired');
    expect(approvalEvents(file, pending.id).map((e) => e.path.split('/').pop())).toEqual([
      'requested',
      'expire',
    ]);
  });
});
