import type { Pool } from 'pg';
import { silentLogger } from '../audit/audit-fixtures';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { bucketDrift, bucketedCounters, fullScanCounters } from '../helpers/usage-counters-oracle';
import { migratePg } from '../../src/postgres/pg-migrations';
import { createPgPool } from '../../src/postgres/pg-pool';
import { PgUsageHistory } from '../../src/postgres/pg-usage-history';
import { PgUsageTracker } from '../../src/postgres/pg-usage-tracker';
import { usagePgMigrations } from '../../src/postgres/usage-pg-migrations';
import type { Reservation } from '../../src/usage/usage-tracker';
import { seededRandom } from '../helpers/seeded-random';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// The day, a reservation TTL shorter than the hour, and one shorter than the minute.
const WINDOWS = [DAY_MS, 30 * MINUTE_MS, 45_000];
const SUBJECTS = ['alice', 'bob'];
const MODELS = ['m-a', 'm-b', 'm-c'];

let cluster: PgCluster;

async function migratedPool(migrations = usagePgMigrations): Promise<Pool> {
  const pool = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
  await migratePg(pool, [migrations], silentLogger);
  return pool;
}

async function rowCount(pool: Pool, where: string, values: unknown[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM usage_reservations WHERE ${where}`,
    values,
  );
  return rows[0]!.n;
}

/** Times worth checking at: now, and those that put a reservation exactly on (or next to) a window's edge. */
function checkTimes(nowMs: number, atMs: number[], random: () => number): number[] {
  const times = [nowMs, nowMs + Math.floor(random() * 5 * MINUTE_MS)];
  for (let i = 0; i < 4 && atMs.length > 0; i++) {
    const at = atMs[Math.floor(random() * atMs.length)]!;
    const minuteStart = at - (at % MINUTE_MS);
    const span = [MINUTE_MS, HOUR_MS, DAY_MS, ...WINDOWS][Math.floor(random() * 6)]!;
    times.push(at + span, at + span - 1, minuteStart + span, minuteStart + span + MINUTE_MS - 1);
  }
  return times;
}

describeWithPostgres('usage counters from minute buckets (usage migration 2)', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.destroy());

  it('reads exactly what the full scan of the day reads, through reservations, settles, releases and expiries', async () => {
    const pool = await migratedPool();
    try {
      const tracker = new PgUsageTracker(pool, DAY_MS, silentLogger);
      const history = new PgUsageHistory(pool);
      const random = seededRandom(16);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
      const live: { id: string; reservation: Reservation }[] = [];
      const seen = { settled: 0, released: 0, expired: 0, checks: 0, minute: 0, hour: 0, day: 0 };
      let nowMs = Date.UTC(2026, 10, 1, 9, 59, 17, 345);
      let ids = 0;

      // Several decisions of one subject at once share one hold: one multi-row insert, maybe across minutes.
      const decide = async (subject: string) => {
        const held = await tracker.lock(subject, 'm-a', nowMs);
        const made = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
          const id = `d-${++ids}`;
          const roll = random();
          // Mostly now; some a little earlier (another replica's clock), some exactly on a minute.
          const atMs =
            roll < 0.6
              ? nowMs
              : roll < 0.85
                ? nowMs - Math.floor(random() * 90_000)
                : nowMs - (nowMs % MINUTE_MS) - (random() < 0.5 ? 0 : MINUTE_MS);
          const reservation = tracker.reserve({
            decisionId: id,
            subject,
            model: pick(MODELS),
            tokens: Math.floor(random() * 5000),
            atMs,
          });
          return { id, reservation };
        });
        await held.end();
        live.push(...made);
      };
      const settle = async () => {
        if (live.length === 0) return;
        const { id } = pick(live);
        const inserted = await history.insertReport({
          decision_id: id,
          subject: 'any',
          input_tokens: Math.floor(random() * 3000),
          output_tokens: Math.floor(random() * 3000),
          cost_usd: null,
          reported_ms: nowMs,
          settles_exactly: 1,
        });
        if (inserted) seen.settled += 1;
      };
      const releaseOne = async () => {
        if (live.length === 0) return;
        const { id, reservation } = live.splice(Math.floor(random() * live.length), 1)[0]!;
        const existed = await rowCount(pool, 'decision_id = $1', [id]);
        reservation.release();
        // release() does not wait for its DELETE: wait until it is done.
        while ((await rowCount(pool, 'decision_id = $1', [id])) > 0) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        seen.released += existed;
      };
      const check = async () => {
        expect(await bucketDrift(pool)).toEqual([]);
        const { rows } = await pool.query<{ at_ms: string }>('SELECT at_ms FROM usage_reservations');
        const atMs = rows.map((r) => Number(r.at_ms));
        for (const subject of SUBJECTS) {
          for (const at of checkTimes(nowMs, atMs, random)) {
            for (const windowMs of WINDOWS) {
              const expected = await fullScanCounters(pool, subject, at, windowMs);
              expect({
                subject,
                at,
                windowMs,
                rows: await bucketedCounters(pool, subject, at, windowMs),
              }).toEqual({
                subject,
                at,
                windowMs,
                rows: expected,
              });
              seen.checks += 1;
              if (expected.some((r) => r.minute > 0)) seen.minute += 1;
              if (expected.some((r) => r.hour > 0)) seen.hour += 1;
              if (expected.some((r) => r.day > 0)) seen.day += 1;
            }
          }
          // And through the tracker itself, as a decision reads them under the subject's lock.
          const expected = await fullScanCounters(pool, subject, nowMs, DAY_MS);
          const held = await tracker.lock(subject, 'm-b', nowMs);
          const snapshot = tracker.snapshot(subject, 'm-b');
          await held.end();
          const own = expected.find((r) => r.model === 'm-b') ?? { minute: 0, hour: 0, day: 0 };
          expect(snapshot.model).toEqual({
            requests_last_minute: own.minute,
            tokens_last_hour: own.hour,
            tokens_last_day: own.day,
          });
          expect(snapshot.tokens_last_day).toBe(expected.reduce((sum, r) => sum + r.day, 0));
        }
      };

      for (let step = 0; step < 300; step++) {
        const roll = random();
        nowMs +=
          roll < 0.25
            ? 0
            : roll < 0.75
              ? Math.floor(random() * 20_000)
              : roll < 0.95
                ? Math.floor(random() * 10 * MINUTE_MS)
                : Math.floor(random() * 5 * HOUR_MS);
        // A few writers at once, as replicas and reports would be: the triggers must not deadlock.
        const ops = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
          const op = random();
          if (op < 0.55) return decide(pick(SUBJECTS));
          if (op < 0.75) return settle();
          if (op < 0.85) return releaseOne();
          if (op < 0.9) return tracker.expire(nowMs).then((n) => void (seen.expired += n));
          return Promise.resolve();
        });
        await Promise.all(ops);
        if (step % 15 === 14) await check();
      }
      await check();
      // The run exercised what it claims to.
      expect(seen.settled).toBeGreaterThan(20);
      expect(seen.released).toBeGreaterThan(10);
      expect(seen.expired).toBeGreaterThan(10);
      expect(seen.minute).toBeGreaterThan(50);
      expect(seen.hour).toBeGreaterThan(50);
      expect(seen.day).toBeGreaterThan(50);
    } finally {
      await pool.end();
    }
  }, 300_000);

  it('backfills the buckets from the reservations of a database at usage version 1', async () => {
    const first = { ...usagePgMigrations, migrations: usagePgMigrations.migrations.slice(0, 1) };
    const pool = await migratedPool(first);
    try {
      const nowMs = Date.UTC(2026, 10, 2, 12, 0, 30, 250);
      await pool.query(
        `INSERT INTO usage_reservations (decision_id, subject, model, tokens, at_ms)
         SELECT 'old-' || i, 'subject-' || (i % 3), 'model-' || (i % 2), (i * 37) % 4000,
                $1::bigint - (i::bigint * 768143) % (2 * $2::bigint)
           FROM generate_series(1, 2000) AS i`,
        [nowMs, DAY_MS],
      );
      const tables = await pool.query("SELECT to_regclass('usage_minutes') IS NULL AS absent");
      expect(tables.rows[0].absent).toBe(true);

      await migratePg(pool, [usagePgMigrations], silentLogger);
      const versions = await pool.query(
        "SELECT max(version) AS v FROM modelgate_migrations WHERE component = 'usage'",
      );
      expect(versions.rows[0].v).toBe(usagePgMigrations.migrations.length);
      const buckets = await pool.query<{ n: number; requests: number }>(
        'SELECT count(*)::int AS n, sum(requests)::int AS requests FROM usage_minutes',
      );
      expect(buckets.rows[0]).toEqual({ n: expect.any(Number), requests: 2000 });
      expect(buckets.rows[0]!.n).toBeGreaterThan(100);
      expect(await bucketDrift(pool)).toEqual([]);
      for (const subject of ['subject-0', 'subject-1', 'subject-2']) {
        const expected = await fullScanCounters(pool, subject, nowMs, DAY_MS);
        expect(expected.length).toBe(2);
        expect(await bucketedCounters(pool, subject, nowMs, DAY_MS)).toEqual(expected);
      }

      // And the triggers keep them in step from there on.
      const tracker = new PgUsageTracker(pool, DAY_MS, silentLogger);
      expect(await tracker.expire(nowMs)).toBeGreaterThan(0);
      expect(await bucketDrift(pool)).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
