import { randomUUID } from 'node:crypto';
import type { Approval } from '../../src/approvals/approval';
import type { ApprovalStore } from '../../src/approvals/approval-store';

/** A store under test on a fresh, empty table; close() lets go of what open() took. */
export interface ApprovalBackend {
  open(): Promise<ApprovalStore>;
  close(): Promise<void>;
}

const T0 = Date.parse('2026-11-22T10:00:00Z');

function pending(overrides: Partial<Approval> = {}): Approval {
  return {
    id: `apr_${randomUUID()}`,
    binding: `binding-${randomUUID()}`,
    status: 'pending',
    createdMs: T0,
    expiresMs: T0 + 3_600_000,
    requestDecisionId: randomUUID(),
    requester: { subject: 'spiffe://corp/agent', issuer: 'https://idp.test', actor: 'agent:x' },
    invocation: { model: 'm', operation: 'tool_call', tools: ['payments.initiate'] },
    context: { environment: 'prod', ticket: { id: 4711, urgent: true } },
    findings: { iban: 1 },
    reasons: ['payments need a human'],
    approvers: 'platform-leads',
    ttlSeconds: 3600,
    maxUses: 2,
    usesLeft: 2,
    decidedBy: null,
    decidedMs: null,
    comment: null,
    ...overrides,
  };
}

const grant = (atMs: number) => ({
  status: 'approved' as const,
  by: 'user:alice',
  atMs,
  comment: 'ok',
  expiresMs: atMs + 600_000,
});

/**
 * The behaviour every ApprovalStore must have, whatever holds it: run against SQLite and PostgreSQL
 * (test/approvals/approval-store-sqlite.test.ts, test/postgres/approval-store-postgres.test.ts).
 * Every change is a compare-and-set, so the concurrent cases below must hold on both.
 */
export function approvalStoreContract(name: string, backend: () => ApprovalBackend): void {
  describe(`${name}: the ApprovalStore contract`, () => {
    let b: ApprovalBackend;
    let store: ApprovalStore;
    beforeEach(async () => {
      b = backend();
      store = await b.open();
    });
    afterEach(async () => {
      await b.close();
    });

    it('stores a pending approval and reads back every field', async () => {
      const approval = pending();
      expect(await store.get(approval.id)).toBeNull();
      expect(await store.createPending(approval)).toEqual({ approval, created: true });
      expect(await store.get(approval.id)).toEqual(approval);
      expect(await store.findPending(approval.binding)).toEqual(approval);
    });

    it('reads back the prior actors of a requester whose agent acts after others', async () => {
      const approval = pending({
        requester: {
          subject: 'spiffe://corp/agent',
          issuer: 'https://idp.test',
          actor: 'agent:x',
          prior_actors: ['agent:orchestrator', 'user:dave'],
        },
      });
      await store.createPending(approval);
      expect((await store.get(approval.id))!.requester).toEqual(approval.requester);
    });

    it('keeps one pending approval per binding, even when asked concurrently', async () => {
      const binding = 'one-binding';
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.createPending(pending({ binding }))),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const ids = new Set(results.map((r) => r.approval?.id));
      expect(ids.size).toBe(1);
      expect((await store.list({ status: 'pending', limit: 100 })).map((a) => a.id)).toEqual([...ids]);
    });

    it('creates no approval past the pending limit of its subject, even when asked concurrently', async () => {
      const limit = 3;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.createPending(pending(), limit)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(limit);
      expect(results.filter((r) => r.approval === null)).toHaveLength(8 - limit);

      // Asking again for a request already pending returns it, at the limit too.
      const held = results.find((r) => r.created)!.approval!;
      expect(await store.createPending(pending({ binding: held.binding }), limit)).toEqual({
        approval: held,
        created: false,
      });
      // The limit is per subject and issuer: another subject, or the same name from another issuer, is not held back.
      const other = pending({
        requester: { subject: 'spiffe://corp/other', issuer: 'https://idp.test', actor: null },
      });
      expect((await store.createPending(other, limit)).created).toBe(true);
      const elsewhere = pending({ requester: { ...held.requester, issuer: 'https://other-idp.test' } });
      expect((await store.createPending(elsewhere, limit)).created).toBe(true);
    });

    it('counts toward the limit only approvals still pending and in time', async () => {
      const limit = 2;
      const decided = pending();
      const overdue = pending({ expiresMs: T0 + 1000 });
      await store.createPending(decided, limit);
      await store.createPending(overdue, limit);
      expect(await store.createPending(pending({ createdMs: T0 + 500 }), limit)).toEqual({
        approval: null,
        created: false,
      });
      // Past its time an approval no longer counts, swept or not.
      expect((await store.createPending(pending({ createdMs: T0 + 1000 }), limit)).created).toBe(true);
      expect((await store.createPending(pending({ createdMs: T0 + 1000 }), limit)).approval).toBeNull();
      // A verdict frees its place.
      expect(await store.decide(decided.id, grant(T0 + 1500))).toBe(true);
      expect((await store.createPending(pending({ createdMs: T0 + 1500 }), limit)).created).toBe(true);
    });

    it('lets exactly one of several concurrent verdicts decide a pending approval', async () => {
      const approval = pending();
      await store.createPending(approval);
      const verdicts = await Promise.all([
        store.decide(approval.id, grant(T0 + 1000)),
        store.decide(approval.id, { ...grant(T0 + 1000), status: 'denied', by: 'user:bob' }),
        store.decide(approval.id, grant(T0 + 1000)),
      ]);
      expect(verdicts.filter(Boolean)).toHaveLength(1);
      const decided = (await store.get(approval.id))!;
      expect(['approved', 'denied']).toContain(decided.status);
      expect(decided.decidedMs).toBe(T0 + 1000);
    });

    it('refuses a verdict on an approval past its time, and denies with no uses left', async () => {
      const late = pending();
      await store.createPending(late);
      expect(await store.decide(late.id, grant(late.expiresMs))).toBe(false);
      const denied = pending();
      await store.createPending(denied);
      expect(await store.decide(denied.id, { ...grant(T0), status: 'denied' })).toBe(true);
      expect(await store.get(denied.id)).toMatchObject({ status: 'denied', usesLeft: 0, comment: 'ok' });
    });

    it('spends uses exactly once each under concurrency, then reports used_up', async () => {
      const approval = pending({ maxUses: 3, usesLeft: 3 });
      await store.createPending(approval);
      expect(await store.consume(approval.id, T0)).toBeNull(); // not approved yet
      expect(await store.decide(approval.id, grant(T0))).toBe(true);
      const spent = await Promise.all(Array.from({ length: 10 }, () => store.consume(approval.id, T0 + 1)));
      expect(spent.filter((left) => left !== null).sort()).toEqual([0, 1, 2]);
      expect(await store.get(approval.id)).toMatchObject({ status: 'used_up', usesLeft: 0 });
    });

    it('does not spend a grant past its expiry', async () => {
      const approval = pending();
      await store.createPending(approval);
      await store.decide(approval.id, grant(T0));
      expect(await store.consume(approval.id, T0 + 600_000)).toBeNull();
      expect(await store.get(approval.id)).toMatchObject({ status: 'approved', usesLeft: 2 });
    });

    it('lists from a position on: older ones, and as old ones with a smaller id, with or without a status', async () => {
      const same = [pending({ createdMs: T0 + 5 }), pending({ createdMs: T0 + 5 })].sort((x, y) =>
        x.id < y.id ? 1 : -1,
      );
      const oldest = pending({ createdMs: T0 });
      for (const a of [...same, oldest]) await store.createPending(a);
      const order = [same[0]!.id, same[1]!.id, oldest.id];
      expect((await store.list({ limit: 10 })).map((a) => a.id)).toEqual(order);
      const after = { createdMs: T0 + 5, id: same[0]!.id };
      expect((await store.list({ limit: 10, after })).map((a) => a.id)).toEqual(order.slice(1));
      expect((await store.list({ status: 'pending', limit: 1, after })).map((a) => a.id)).toEqual([
        same[1]!.id,
      ]);
      const last = { createdMs: T0, id: oldest.id };
      expect(await store.list({ status: 'pending', limit: 10, after: last })).toEqual([]);
    });

    it('lists newest first with a status filter, finds due approvals and expires them once', async () => {
      const older = pending({ createdMs: T0, expiresMs: T0 + 1000 });
      const newer = pending({ createdMs: T0 + 10, expiresMs: T0 + 5000 });
      await store.createPending(older);
      await store.createPending(newer);
      expect((await store.list({ limit: 10 })).map((a) => a.id)).toEqual([newer.id, older.id]);
      expect(await store.list({ status: 'approved', limit: 10 })).toEqual([]);
      expect((await store.due(T0 + 2000, 10)).map((a) => a.id)).toEqual([older.id]);
      expect(await store.expire(newer.id, T0 + 2000)).toBe(false);
      expect(await store.expire(older.id, T0 + 2000)).toBe(true);
      expect(await store.expire(older.id, T0 + 2000)).toBe(false);
      expect((await store.get(older.id))!.status).toBe('expired');
      expect(await store.due(T0 + 2000, 10)).toEqual([]);
    });
  });
}
