import type { Pool } from 'pg';
import { silentLogger } from '../audit/audit-fixtures';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { seededRandom } from '../helpers/seeded-random';
import { auditPgMigrations } from '../../src/postgres/audit-pg-migrations';
import { migratePg } from '../../src/postgres/pg-migrations';
import { createPgPool } from '../../src/postgres/pg-pool';
import { PgUsageTracker } from '../../src/postgres/pg-usage-tracker';
import { usagePgMigrations } from '../../src/postgres/usage-pg-migrations';

const DAY_MS = 86_400_000;
let cluster: PgCluster;
let pool: Pool;
let tracker: PgUsageTracker;

async function decide(subject: string, id: string, atMs: number, tokens = 10) {
  const held = await tracker.lock(subject, 'm', atMs);
  try {
    const seen = tracker.snapshot(subject, 'm');
    tracker.reserve({ decisionId: id, subject, model: 'm', tokens, atMs });
    return seen;
  } finally {
    await held.end();
  }
}

describeWithPostgres('PgUsageTracker', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    pool = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
    await migratePg(pool, [auditPgMigrations, usagePgMigrations], silentLogger);
    tracker = new PgUsageTracker(pool, DAY_MS, silentLogger);
  });
  afterAll(async () => {
    await pool?.end();
    cluster?.destroy();
  });

  it('lets each of a subject’s concurrent decisions see every earlier reservation', async () => {
    const now = Date.now();
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) => decide('s-concurrent', `c-${i}`, now)),
    );
    expect(seen.map((s) => s.requests_last_minute).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(seen.map((s) => s.model.tokens_last_day).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i * 10),
    );
  });

  it('expires reservations older than a day, and only those', async () => {
    const now = Date.now();
    await decide('s-expire', 'old', now - 2 * DAY_MS, 500);
    await decide('s-expire', 'new', now, 7);
    const before = await pool.query('SELECT count(*)::int AS n FROM usage_reservations WHERE subject = $1', [
      's-expire',
    ]);
    expect(before.rows[0].n).toBe(2);
    expect(await tracker.expire(now)).toBe(1);
    const after = await pool.query('SELECT decision_id FROM usage_reservations WHERE subject = $1', [
      's-expire',
    ]);
    expect(after.rows).toEqual([{ decision_id: 'new' }]);
    expect((await decide('s-expire', 'next', now)).tokens_last_day).toBe(7);
  });

  // A token's subject is the issuer's to choose: 2,048 characters of a three-byte script are 6 KiB, past
  // what a btree entry holds, and NUL is past what PostgreSQL's text holds. Both failed every reservation
  // of the subject (usage_unavailable), where SQLite counts them. Each counts now, and apart from the other.
  it('counts the reservations of a subject PostgreSQL cannot index or hold as written', async () => {
    const random = seededRandom(7);
    const wide = `user:${Array.from({ length: 2048 }, () => String.fromCodePoint(0x4e00 + Math.floor(random() * 20_000))).join('')}`;
    const nul = 'user:a\u0000b';
    const now = Date.now();
    for (const [i, subject] of [wide, nul, `${wide}x`, 'user:a\ufffdb'].entries()) {
      await decide(subject, `first-${i}`, now, 5);
    }
    expect((await decide(wide, 'wide-2', now)).requests_last_minute).toBe(1);
    expect((await decide(nul, 'nul-2', now)).tokens_last_day).toBe(5);
  });

  it('fails with usage_unavailable, not a hang, when the database is away', async () => {
    cluster.stop();
    try {
      await expect(decide('s-down', 'd', Date.now())).rejects.toMatchObject({ code: 'usage_unavailable' });
    } finally {
      cluster.start();
    }
    expect((await decide('s-down', 'after', Date.now())).requests_last_minute).toBe(0);
  });
});
