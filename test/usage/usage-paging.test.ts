/**
 * Bounded usage memory: beyond maxSubjects the least recently used subjects are paged out, and read
 * back from the ledger (the audit log and usage reports in a real SQLite file) when needed. Every
 * figure is compared with an unbounded tracker fed the same decisions: budgets stay exact.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditMigrations, openDatabase, SqliteAuditStore, type Db } from '../../src/audit';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';
import { DEFAULT_USAGE_MAX_SUBJECTS, MemoryUsageTracker } from '../../src/usage/memory-usage-tracker';
import { UsageLedger } from '../../src/usage/usage-ledger';
import { usageMigrations } from '../../src/usage/usage-migrations';
import { SqliteUsageReports } from '../../src/usage/usage-reports';
import type { Reservation } from '../../src/usage/usage-tracker';
import { makeRecord, silentLogger, tempDir } from '../audit/audit-fixtures';

const TTL_MS = 3_600_000;
const MODELS = ['anthropic.claude-haiku', 'anthropic.claude-sonnet'];
const dir = tempDir();
let files = 0;

/** A real audit log and ledger, a bounded tracker paging through it, and an unbounded reference. */
function setup(maxSubjects: number) {
  const db: Db = openDatabase(join(dir, `usage-${++files}.db`), [auditMigrations, usageMigrations]);
  const store = SqliteAuditStore.open({ database: db, logger: silentLogger });
  let now = Date.now() - 2 * 3_600_000;
  const clock = () => now;
  const bounded = new MemoryUsageTracker(TTL_MS, clock);
  const reports = new SqliteUsageReports(db);
  const ledger = new UsageLedger(db, bounded, TTL_MS, reports);
  bounded.enablePaging({ maxSubjects, load: (subject, nowMs) => ledger.restore(nowMs, subject) });
  const reference = new MemoryUsageTracker(TTL_MS, clock);
  const referenceLedger = new UsageLedger(db, reference, TTL_MS, reports);

  /** What the pipeline does for an allowed decision, on both trackers; the record is left to the caller. */
  function reserve(subject: string, model: string, tokens: number) {
    now += 1000;
    bounded.snapshot(subject, model, now);
    const record = makeRecord({
      timestamp: new Date(now).toISOString(),
      subject,
      model,
      max_tokens: tokens - 100,
      input: { subject: { id: subject }, invocation: { model, input_tokens: 100 } },
    });
    const request = { decisionId: record.decision_id, subject, model, tokens, atMs: now };
    const held: Reservation[] = [bounded.reserve(request), reference.reserve(request)];
    return {
      record,
      commit: async () => {
        await store.append(record);
        for (const r of held) r.recorded?.();
      },
      release: () => held.forEach((r) => r.release()),
    };
  }

  async function decide(subject: string, model: string, tokens: number): Promise<string> {
    const { record, commit } = reserve(subject, model, tokens);
    await commit();
    return record.decision_id;
  }

  /** A trusted gateway reports what the call used: written once, settled in both trackers. */
  async function report(decisionId: string, subject: string, used: number): Promise<void> {
    const reporter = { subject: 'spiffe://corp/llm-gateway', trusted: true };
    const decision = { subject, reservedTokens: 0, outcome: 'allowed', path: '/v1/decide', timestampMs: now };
    await ledger.report(decisionId, reporter, decision, { input_tokens: used, output_tokens: 0 }, now);
    reference.settle(decisionId, used, now);
  }

  function expectSame(subject: string, model: string): void {
    expect(bounded.snapshot(subject, model, now)).toEqual(reference.snapshot(subject, model, now));
  }

  return {
    db,
    store,
    bounded,
    reference,
    ledger,
    referenceLedger,
    reserve,
    decide,
    report,
    expectSame,
    now: () => now,
  };
}

describe('bounded usage memory', () => {
  it('pages out the least recently used subjects and reads them back with exact counters', async () => {
    const t = setup(2);
    const subjects = Array.from({ length: 6 }, (_, i) => `spiffe://corp/team-${i}/bot`);
    let state = 7;
    const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31) >>> 16) % n;
    const decided: { id: string; subject: string }[] = [];
    for (let i = 0; i < 150; i++) {
      const subject = subjects[next(subjects.length)]!;
      const model = MODELS[next(2)]!;
      if (i % 17 === 5) {
        // A decision that could not be recorded: its reservation is withdrawn in both.
        t.reserve(subject, model, 500).release();
      } else {
        decided.push({ id: await t.decide(subject, model, 1000 + next(3000)), subject });
      }
      if (i % 11 === 3) {
        const { id, subject: owner } = decided[next(decided.length)]!;
        await t.report(id, owner, 50 + next(500)).catch((err: Error) => {
          if (!/already reported/.test(err.message)) throw err;
        });
      }
      t.expectSame(subjects[next(subjects.length)]!, MODELS[next(2)]!);
    }
    for (const subject of subjects) for (const model of MODELS) t.expectSame(subject, model);
    const stats = t.bounded.stats();
    // The precondition: subjects really were paged out and read back, many times.
    expect(stats.pagedOut).toBeGreaterThan(20);
    expect(stats.pagedIn).toBeGreaterThan(20);
    expect(stats.subjects).toBeLessThanOrEqual(2);
    expect(t.reference.stats().subjects).toBe(6);
    await t.store.close();
  });

  it('keeps a subject whose decision is not recorded yet, then pages it out once it is', async () => {
    const t = setup(1);
    const first = t.reserve('spiffe://corp/a', MODELS[0]!, 1000);
    await t.decide('spiffe://corp/b', MODELS[0]!, 2000);
    // The ledger could not rebuild a's reservation yet: a stays, over the bound.
    expect(t.bounded.stats()).toMatchObject({ subjects: 2, pagedOut: 0 });
    await first.commit();
    await t.decide('spiffe://corp/c', MODELS[0]!, 3000);
    expect(t.bounded.stats()).toMatchObject({ subjects: 1, pagedOut: 2 });
    t.expectSame('spiffe://corp/a', MODELS[0]!);
    t.expectSame('spiffe://corp/b', MODELS[0]!);
    await t.store.close();
  });

  it('settles a report on a paged-out subject exactly, through the ledger', async () => {
    const t = setup(1);
    const id = await t.decide('spiffe://corp/a', MODELS[1]!, 4000);
    await t.decide('spiffe://corp/b', MODELS[1]!, 1000);
    expect(t.bounded.stats()).toMatchObject({ subjects: 1, pagedOut: 1, pendingReservations: 1 });
    await t.report(id, 'spiffe://corp/a', 120);
    t.expectSame('spiffe://corp/a', MODELS[1]!);
    expect(t.bounded.snapshot('spiffe://corp/a', MODELS[1]!, t.now()).tokens_last_day).toBe(120);
    await t.store.close();
  });

  it('restores at most the bound at start-up and loads the others when they are needed', async () => {
    const t = setup(1000);
    const subjects = Array.from({ length: 5 }, (_, i) => `spiffe://corp/svc-${i}`);
    for (let i = 0; i < 20; i++) await t.decide(subjects[i % 5]!, MODELS[i % 2]!, 1000 + i);
    const restarted = new MemoryUsageTracker(TTL_MS, t.now);
    const ledger = new UsageLedger(t.db, restarted, TTL_MS, new SqliteUsageReports(t.db));
    restarted.enablePaging({ maxSubjects: 2, load: (subject, nowMs) => ledger.restore(nowMs, subject) });
    ledger.restore(t.now());
    expect(restarted.stats()).toMatchObject({ subjects: 2, pagedIn: 0 });
    for (const subject of subjects) {
      for (const model of MODELS) {
        expect(restarted.snapshot(subject, model, t.now())).toEqual(
          t.reference.snapshot(subject, model, t.now()),
        );
      }
    }
    expect(restarted.stats().pagedIn).toBeGreaterThanOrEqual(3);
    expect(restarted.stats().subjects).toBeLessThanOrEqual(2);
    await t.store.close();
  });

  it('reads the bound from usage.max_subjects_in_memory, 100,000 by default, and refuses a tiny one', () => {
    expect(loadConfig({}, dir).usageMaxSubjects).toBe(DEFAULT_USAGE_MAX_SUBJECTS);
    const file = join(dir, 'modelgate.yaml');
    writeFileSync(file, 'usage:\n  max_subjects_in_memory: 5000\n');
    expect(loadConfig({ MODELGATE_CONFIG: file }, dir).usageMaxSubjects).toBe(5000);
    writeFileSync(file, 'usage:\n  max_subjects_in_memory: 3\n');
    expect(() => loadConfig({ MODELGATE_CONFIG: file }, dir)).toThrow(ConfigError);
  });
});
