import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditQuery, StoredAuditRecord } from '../../src/audit';
import { planQuery } from '../../src/audit/audit-query';
import { ReasonCode } from '../../src/errors';
import { makeRecord, openStore, tempDir } from './audit-fixtures';

const dir = tempDir();
const file = join(dir, 'query.db');
const store = openStore(file);
const base = Date.parse('2026-11-01T00:00:00.000Z');
const at = (minute: number) => new Date(base + minute * 60_000).toISOString();

beforeAll(async () => {
  // 120 records, one a minute: subjects a/b/c, models m1/m2, every 3rd denied with reason budget_exhausted.
  const records = Array.from({ length: 120 }, (_, i) =>
    makeRecord({
      timestamp: at(i),
      subject: ['a', 'b', 'c'][i % 3]!,
      model: i % 2 === 0 ? 'm1' : 'm2',
      outcome: i % 3 === 0 ? 'denied' : 'allowed',
      status: i % 3 === 0 ? 403 : 200,
      reasons: i % 3 === 0 ? ['budget_exhausted', 'budget_low'] : i % 5 === 0 ? ['budget_low'] : [],
    }),
  );
  // Committed out of timestamp order, as concurrent requests can be: pages still come out newest first.
  await Promise.all([...records].reverse().map((r) => store.append(r)));
});

async function allPages(filter: AuditQuery): Promise<StoredAuditRecord[]> {
  const seen: StoredAuditRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await store.query({ ...filter, cursor });
    seen.push(...result.records);
    if (!result.next_cursor) return seen;
    cursor = result.next_cursor;
  }
  throw new Error('pagination did not end');
}

describe('query', () => {
  it('returns the newest 50 by default, newest first, with a cursor', async () => {
    const page = await store.query({});
    expect(page.records).toHaveLength(50);
    expect(page.records[0]!.timestamp).toBe(at(119));
    expect(page.records[49]!.timestamp).toBe(at(70));
    expect(page.next_cursor).toEqual(expect.any(String));
  });

  it('walks every record exactly once across pages, and the last page has no cursor', async () => {
    const seen = await allPages({ limit: 7 });
    expect(seen).toHaveLength(120);
    expect(new Set(seen.map((r) => r.decision_id)).size).toBe(120);
    const times = seen.map((r) => r.timestamp);
    expect(times).toEqual([...times].sort().reverse());
  });

  it.each<[string, AuditQuery, (i: number) => boolean]>([
    ['subject', { subject: 'b' }, (i) => i % 3 === 1],
    ['model', { model: 'm2' }, (i) => i % 2 === 1],
    ['outcome', { outcome: 'denied' }, (i) => i % 3 === 0],
    ['reason', { reason: 'budget_low' }, (i) => i % 3 === 0 || i % 5 === 0],
    ['subject and reason', { subject: 'a', reason: 'budget_low' }, (i) => i % 3 === 0],
    ['subject, model and outcome', { subject: 'a', model: 'm1', outcome: 'denied' }, (i) => i % 6 === 0],
    ['time range [from, to)', { from: at(10), to: at(20) }, (i) => i >= 10 && i < 20],
    [
      'reason within a time range',
      { reason: 'budget_exhausted', from: at(30), to: at(60) },
      (i) => i % 3 === 0 && i >= 30 && i < 60,
    ],
  ])('filters by %s across pages', async (_name, filter, expected) => {
    const want = Array.from({ length: 120 }, (_, i) => i)
      .filter(expected)
      .map(at)
      .reverse();
    expect(want.length).toBeGreaterThan(0);
    const seen = await allPages({ ...filter, limit: 8 });
    expect(seen.map((r) => r.timestamp)).toEqual(want);
  });

  it('accepts a date without time as midnight UTC', async () => {
    const page = await store.query({ from: '2026-11-01', to: '2026-11-01T00:05:00Z' });
    expect(page.records).toHaveLength(5);
  });

  it('lowers a limit above 500 to 500 and refuses a limit below 1', async () => {
    expect(planQuery({ limit: 10_000 }).limit).toBe(500);
    await expect(store.query({ limit: 0 })).rejects.toMatchObject({
      code: ReasonCode.BadRequest,
      status: 400,
    });
  });

  it('refuses a cursor it did not issue, an unknown outcome, and a time without a zone with 400 bad_request', async () => {
    await expect(store.query({ cursor: 'bm9wZQ' })).rejects.toMatchObject({
      code: ReasonCode.BadRequest,
      status: 400,
    });
    await expect(store.query({ outcome: 'maybe' as 'allowed' })).rejects.toMatchObject({ status: 400 });
    await expect(store.query({ from: '2026-11-01T10:00:00' })).rejects.toThrow(/with a zone/);
    await expect(store.query({ from: at(20), to: at(10) })).rejects.toThrow(/to must not be before from/);
  });

  it('takes any <ts_ms>.<seq> cursor as a position, and the base64 cursors of earlier versions', async () => {
    const all = await store.query({ limit: 500 });
    const third = all.records[2]!;
    const position = `${Date.parse(third.timestamp)}.${third.seq}`;
    const after = (cursor: string) =>
      store.query({ cursor, limit: 500 }).then((p) => p.records.map((r) => r.seq));
    const expected = all.records.slice(3).map((r) => r.seq);
    expect(expected.length).toBeGreaterThan(0);
    expect(await after(position)).toEqual(expected);
    expect(await after(Buffer.from(`v1:${position.replace('.', ':')}`).toString('base64url'))).toEqual(
      expected,
    );
    expect(await after('0.0')).toEqual([]);
    expect((await store.query({ limit: 3 })).next_cursor).toBe(position);
  });

  it('reads every filter through an index, with no sort step', () => {
    const db = new Database(file, { readonly: true });
    const plans: Record<string, string> = {};
    const filters: AuditQuery[] = [
      {},
      { subject: 'a' },
      { model: 'm1' },
      { outcome: 'denied' },
      { reason: 'budget_low' },
      { from: at(1), to: at(2), cursor: Buffer.from(`v1:${base}:5`).toString('base64url') },
    ];
    for (const filter of filters) {
      const plan = planQuery(filter);
      const steps = db.prepare(`EXPLAIN QUERY PLAN ${plan.sql}`).all(plan.params) as { detail: string }[];
      plans[JSON.stringify(filter)] = steps.map((s) => s.detail).join(' | ');
    }
    db.close();
    for (const [filter, plan] of Object.entries(plans)) {
      expect({ filter, plan }).toEqual({
        filter,
        plan: expect.stringMatching(/USING (COVERING )?INDEX|USING PRIMARY KEY/),
      });
      expect({ filter, plan }).toEqual({ filter, plan: expect.not.stringMatching(/TEMP B-TREE/) });
    }
  });
});
