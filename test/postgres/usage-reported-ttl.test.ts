/**
 * The reservation TTL (`usage.reservation_ttl_seconds`) ends an *unreported* reservation's claim on the budget
 * (docs/usage.md): a reported call's tokens count for the whole day window, whatever the TTL. On SQLite
 * (MemoryUsageTracker) that always held; on PostgreSQL the counter read dropped every reservation older than
 * the TTL, reported or not, so with a TTL of an hour a caller's reported usage left its daily budget after an
 * hour and the daily budget became an hourly one. The two trackers must count the same at every time.
 */
import type { Pool } from 'pg';
import { silentLogger } from '../audit/audit-fixtures';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { seededRandom } from '../helpers/seeded-random';
import { bucketDrift } from '../helpers/usage-counters-oracle';
import { migratePg } from '../../src/postgres/pg-migrations';
import { createPgPool } from '../../src/postgres/pg-pool';
import { PgUsageHistory } from '../../src/postgres/pg-usage-history';
import { PgUsageTracker } from '../../src/postgres/pg-usage-tracker';
import { usagePgMigrations } from '../../src/postgres/usage-pg-migrations';
import { MemoryUsageTracker } from '../../src/usage/memory-usage-tracker';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/usage/sliding-window';
import type { ReservationRequest, UsageSnapshotV1 } from '../../src/usage/usage-tracker';

const SUBJECT = 'spiffe://corp/data/doc-summarizer';
const MODELS = ['m-a', 'm-b'];
const T0 = Date.UTC(2026, 10, 22, 9, 59, 30, 250);

let cluster: PgCluster;
let pool: Pool;

async function pgSnapshot(tracker: PgUsageTracker, model: string, nowMs: number): Promise<UsageSnapshotV1> {
  const held = await tracker.lock(SUBJECT, model, nowMs);
  try {
    return tracker.snapshot(SUBJECT, model);
  } finally {
    await held.end();
  }
}

describeWithPostgres('reported usage outlives the reservation TTL on PostgreSQL, as on SQLite', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    pool = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
    await migratePg(pool, [usagePgMigrations], silentLogger);
  });
  afterAll(async () => {
    await pool?.end();
    cluster?.destroy();
  });

  it('keeps a reported call in the day window after the TTL; an unreported one counts 0 from then', async () => {
    const ttlMs = HOUR_MS;
    const pg = new PgUsageTracker(pool, ttlMs, silentLogger);
    const history = new PgUsageHistory(pool);
    const reserve = async (id: string, tokens: number) => {
      const held = await pg.lock(SUBJECT, 'm-a', T0);
      pg.reserve({ decisionId: id, subject: SUBJECT, model: 'm-a', tokens, atMs: T0 });
      await held.end();
    };
    await reserve('kept', 1000);
    await reserve('unreported', 1000);
    // The gateway reports what the call really used: 300 tokens, a minute later.
    expect(
      await history.insertReport({
        decision_id: 'kept',
        subject: SUBJECT,
        input_tokens: 100,
        output_tokens: 200,
        cost_usd: null,
        reported_ms: T0 + MINUTE_MS,
        settles_exactly: 1,
      }),
    ).toBe(true);
    expect((await pgSnapshot(pg, 'm-a', T0 + 2 * MINUTE_MS)).tokens_last_day).toBe(1300);
    // Two hours later: past the TTL, inside the day.
    const later = await pgSnapshot(pg, 'm-a', T0 + 2 * HOUR_MS);
    expect(later.tokens_last_day).toBe(300);
    expect(later.model.tokens_last_day).toBe(300);
  });

  it('counts what MemoryUsageTracker counts through reservations, reports and TTL expiries', async () => {
    const random = seededRandom(7);
    for (const ttlMs of [HOUR_MS, 90 * MINUTE_MS, 2 * MINUTE_MS + 1234, DAY_MS]) {
      const subjectPool = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
      try {
        await migratePg(subjectPool, [usagePgMigrations], silentLogger);
        const pg = new PgUsageTracker(subjectPool, ttlMs, silentLogger);
        const history = new PgUsageHistory(subjectPool);
        const memory = new MemoryUsageTracker(ttlMs, () => nowMs);
        const made: ReservationRequest[] = [];
        let nowMs = T0;
        let checks = 0;
        for (let step = 0; step < 120; step++) {
          nowMs += Math.floor(random() * 40 * MINUTE_MS);
          const roll = random();
          if (roll < 0.5) {
            const request = {
              decisionId: `d-${ttlMs}-${step}`,
              subject: SUBJECT,
              model: MODELS[Math.floor(random() * MODELS.length)]!,
              tokens: 1 + Math.floor(random() * 5000),
              atMs: nowMs,
            };
            const held = await pg.lock(SUBJECT, request.model, nowMs);
            pg.reserve(request);
            await held.end();
            memory.reserve(request).recorded?.();
            made.push(request);
          } else if (roll < 0.8 && made.length > 0) {
            const decision = made[Math.floor(random() * made.length)]!;
            // The ledger refuses a report after the TTL (409): only those in time reach the trackers.
            const inTime = nowMs - decision.atMs <= ttlMs;
            const trusted = random() < 0.5;
            const used = Math.floor(random() * 6000);
            const inserted =
              inTime &&
              (await history.insertReport({
                decision_id: decision.decisionId,
                subject: SUBJECT,
                input_tokens: 0,
                output_tokens: used,
                cost_usd: null,
                reported_ms: nowMs,
                settles_exactly: trusted ? 1 : 0,
              }));
            if (inserted)
              memory.settlement(decision)(trusted ? used : Math.max(used, decision.tokens), nowMs);
          }
          for (const model of MODELS) {
            expect({ ttlMs, step, model, counters: await pgSnapshot(pg, model, nowMs) }).toEqual({
              ttlMs,
              step,
              model,
              counters: memory.snapshot(SUBJECT, model, nowMs),
            });
            checks += 1;
          }
        }
        expect(checks).toBe(240);
      } finally {
        await subjectPool.end();
      }
    }
  });

  it('marks the reports of a database at usage version 2 as settled when it upgrades', async () => {
    const upgrading = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
    try {
      const two = { ...usagePgMigrations, migrations: usagePgMigrations.migrations.slice(0, 2) };
      await migratePg(upgrading, [two], silentLogger);
      await upgrading.query(
        `INSERT INTO usage_reservations (decision_id, subject, model, tokens, at_ms)
         VALUES ('r', $1, 'm-a', 300, $2), ('u', $1, 'm-a', 1000, $2)`,
        [SUBJECT, T0],
      );
      await upgrading.query(
        `INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms)
         VALUES ('r', $1, 100, 200, NULL, $2)`,
        [SUBJECT, T0 + MINUTE_MS],
      );
      await migratePg(upgrading, [usagePgMigrations], silentLogger);
      expect(await bucketDrift(upgrading)).toEqual([]);
      const pg = new PgUsageTracker(upgrading, HOUR_MS, silentLogger);
      expect((await pgSnapshot(pg, 'm-a', T0 + 2 * HOUR_MS)).tokens_last_day).toBe(300);
    } finally {
      await upgrading.end();
    }
  });
});
