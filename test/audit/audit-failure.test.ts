import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditMigrations, openDatabase, SqliteAuditStore } from '../../src/audit';
import { ReasonCode, UnavailableError } from '../../src/errors';
import { appendMany, contentDigest, makeRecord, silentLogger, tempDir } from './audit-fixtures';

const dir = tempDir();

// Each cause is applied to, and later removed from, the store's own connection or file; tests run as
// root here, where chmod 0444 would not stop a write, so these are the realistic ways a write fails.
const causes = [
  {
    name: 'the disk is full (max_page_count reached)',
    break: (db: Database.Database) =>
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`),
    heal: (db: Database.Database) => db.pragma('max_page_count = 1073741823'),
    code: 'SQLITE_FULL',
  },
  {
    name: 'the database is read-only (query_only)',
    break: (db: Database.Database) => db.pragma('query_only = 1'),
    heal: (db: Database.Database) => db.pragma('query_only = 0'),
    code: 'SQLITE_READONLY',
  },
];

describe('append when the database cannot be written', () => {
  it.each(causes)(
    'rejects every pending append with audit_unavailable when $name, changes nothing, and recovers',
    async (cause) => {
      const file = join(dir, `${cause.code}.db`);
      const db = openDatabase(file, [auditMigrations], { busyTimeoutMs: 50 });
      const store = SqliteAuditStore.open({ database: db, logger: silentLogger });
      await appendMany(store, 5);
      const before = contentDigest(file);
      expect((await store.verify()).ok).toBe(true);

      cause.break(db);
      // Large enough that the records need new pages.
      const blocked = Array.from({ length: 3 }, () =>
        makeRecord({ input: { context: { note: 'x'.repeat(20_000) } } }),
      );
      const results = await Promise.allSettled(blocked.map((r) => store.append(r)));
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const reason = (result as PromiseRejectedResult).reason as UnavailableError;
        expect(reason).toBeInstanceOf(UnavailableError);
        expect(reason.code).toBe(ReasonCode.AuditUnavailable);
        expect(reason.status).toBe(503);
        expect(reason.message).toContain(cause.code);
      }
      expect(contentDigest(file)).toBe(before);
      expect(store.stats().failedCommits).toBe(1);

      cause.heal(db);
      await Promise.all(blocked.map((r) => store.append(r)));
      expect(await store.verify()).toMatchObject({ ok: true, records: 8 });
      await store.close();
      db.close();
    },
  );

  it('rejects with audit_unavailable while another process holds the write lock, and recovers', async () => {
    const file = join(dir, 'locked.db');
    const store = SqliteAuditStore.open({ path: file, logger: silentLogger, busyTimeoutMs: 50 });
    await appendMany(store, 3);
    const before = contentDigest(file);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');

    const error = await store.append(makeRecord()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).code).toBe(ReasonCode.AuditUnavailable);
    expect((error as Error).message).toContain('SQLITE_BUSY');

    other.exec('ROLLBACK');
    other.close();
    expect(contentDigest(file)).toBe(before);
    await store.append(makeRecord());
    expect(await store.verify()).toMatchObject({ ok: true, records: 4 });
    await store.close();
  });

  it('rejects appends after close with audit_unavailable', async () => {
    const store = SqliteAuditStore.open({ path: join(dir, 'closed.db'), logger: silentLogger });
    await store.close();
    await expect(store.append(makeRecord())).rejects.toMatchObject({
      code: ReasonCode.AuditUnavailable,
      status: 503,
    });
  });

  it('rejects appends to a store opened read-only', async () => {
    const file = join(dir, 'ro.db');
    await SqliteAuditStore.open({ path: file, logger: silentLogger }).close();
    const store = SqliteAuditStore.open({ path: file, logger: silentLogger, readonly: true });
    await expect(store.append(makeRecord())).rejects.toMatchObject({ code: ReasonCode.AuditUnavailable });
    await store.close();
  });
});
