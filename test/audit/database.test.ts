import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  auditMigrations,
  DatabaseVersionError,
  NEW_DATABASE_PAGE_SIZE,
  openDatabase,
  schemaVersion,
  SqliteAuditStore,
  type MigrationSet,
} from '../../src/audit';
import { makeRecord, silentLogger, tempDir } from './audit-fixtures';

const dir = tempDir();
let n = 0;
const fresh = () => join(dir, `db-${++n}.db`);

const notesV1: MigrationSet = {
  component: 'notes',
  migrations: [
    {
      version: 1,
      name: 'notes table',
      up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)'),
    },
  ],
};
const notesV2: MigrationSet = {
  component: 'notes',
  migrations: [
    ...notesV1.migrations,
    {
      version: 2,
      name: 'notes author',
      up: (db) => db.exec(`ALTER TABLE notes ADD COLUMN author TEXT DEFAULT 'unknown'`),
    },
  ],
};

describe('openDatabase', () => {
  it('creates the schema of a new file in WAL mode with the requested synchronous level', () => {
    const db = openDatabase(fresh(), [auditMigrations], { synchronous: 'NORMAL' });
    expect(schemaVersion(db, 'audit')).toBe(auditMigrations.migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    db.close();
    const full = openDatabase(fresh(), [auditMigrations]);
    expect(full.pragma('synchronous', { simple: true })).toBe(2); // FULL is the default
    full.close();
  });

  it('creates a new file with small pages, and an existing file keeps the page size it was made with', () => {
    const file = fresh();
    const created = openDatabase(file, [auditMigrations]);
    expect(created.pragma('page_size', { simple: true })).toBe(NEW_DATABASE_PAGE_SIZE);
    expect(NEW_DATABASE_PAGE_SIZE).toBeLessThan(4096); // SQLite's default
    created.close();

    // A log made by an earlier modelgate (SQLite's default size) is upgraded with its pages as they are.
    const older = fresh();
    const made = openDatabase(older, [notesV1], { pageSize: 4096 });
    made.prepare('INSERT INTO notes (text) VALUES (?)').run('kept');
    made.close();
    const reopened = openDatabase(older, [notesV2, auditMigrations]);
    expect(reopened.pragma('page_size', { simple: true })).toBe(4096);
    expect(reopened.prepare('SELECT text FROM notes').all()).toEqual([{ text: 'kept' }]);
    reopened.close();

    expect(() => openDatabase(fresh(), [notesV1], { pageSize: 3000 })).toThrow(/power of two/);
  });

  it('upgrades an older database in place and keeps its rows', () => {
    const file = fresh();
    const old = openDatabase(file, [notesV1]);
    old.prepare('INSERT INTO notes (text) VALUES (?)').run('kept');
    expect(schemaVersion(old, 'notes')).toBe(1);
    old.close();

    const upgraded = openDatabase(file, [notesV2]);
    expect(schemaVersion(upgraded, 'notes')).toBe(2);
    expect(upgraded.prepare('SELECT text, author FROM notes').all()).toEqual([
      { text: 'kept', author: 'unknown' },
    ]);
    upgraded.close();
  });

  it('keeps the versions of several components apart, so modules add migrations independently', () => {
    const file = fresh();
    openDatabase(file, [auditMigrations]).close();
    const both = openDatabase(file, [auditMigrations, notesV2]);
    expect(schemaVersion(both, 'audit')).toBe(auditMigrations.migrations.length);
    expect(schemaVersion(both, 'notes')).toBe(2);
    both.close();
  });

  it('refuses a database newer than the code, naming both versions, and leaves it untouched', () => {
    const file = fresh();
    openDatabase(file, [notesV2]).close();
    expect(() => openDatabase(file, [notesV1])).toThrow(DatabaseVersionError);
    expect(() => openDatabase(file, [notesV1])).toThrow(
      /notes schema is version 2, newer than this modelgate supports \(1\)/,
    );
    const check = new Database(file, { readonly: true });
    expect(schemaVersion(check, 'notes')).toBe(2);
    check.close();
  });

  it('refuses an audit database from a newer modelgate when the store opens', () => {
    const file = fresh();
    openDatabase(file, [auditMigrations]).close();
    const latest = auditMigrations.migrations.length;
    const db = new Database(file);
    db.prepare(
      `INSERT INTO modelgate_migrations VALUES ('audit', ?, 'from the future', '2030-01-01T00:00:00Z')`,
    ).run(latest + 1);
    db.close();
    expect(() => SqliteAuditStore.open({ path: file, logger: silentLogger })).toThrow(
      `audit schema is version ${latest + 1}, newer than this modelgate supports (${latest})`,
    );
  });

  it('rolls back every migration of a start-up if one fails', () => {
    const file = fresh();
    const broken: MigrationSet = {
      component: 'notes',
      migrations: [...notesV1.migrations, { version: 2, name: 'broken', up: (db) => db.exec('NOT SQL') }],
    };
    expect(() => openDatabase(file, [broken])).toThrow();
    const check = new Database(file, { readonly: true });
    expect(check.prepare(`SELECT name FROM sqlite_schema WHERE name = 'notes'`).get()).toBeUndefined();
    check.close();
  });

  it('refuses to touch a SQLite file that belongs to another application', () => {
    const file = fresh();
    const other = new Database(file);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    expect(() => openDatabase(file, [auditMigrations])).toThrow(/is not a modelgate database/);
  });

  // A mistyped --db or MODELGATE_DB turned another application's rollback-journal file into a WAL file
  // (a lasting change its own readers may not support) before saying "not touching it".
  it('leaves the journal mode of another application’s SQLite file as it was', () => {
    const file = fresh();
    const other = new Database(file);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    expect(other.pragma('journal_mode', { simple: true })).toBe('delete');
    other.close();
    expect(() => openDatabase(file, [auditMigrations])).toThrow(/is not a modelgate database/);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    after.close();
  });

  it('opens read-only without writing, and asks for an upgrade if the schema is behind', () => {
    const file = fresh();
    openDatabase(file, [notesV1]).close();
    expect(() => openDatabase(file, [notesV2], { readonly: true })).toThrow(
      /notes schema is version 1, this modelgate needs 2/,
    );
    const ro = openDatabase(file, [notesV1], { readonly: true });
    expect(() => ro.exec('CREATE TABLE x (a)')).toThrow(/readonly/);
    ro.close();
  });

  it('rejects migration lists that are not numbered 1, 2, 3', () => {
    const gap: MigrationSet = {
      component: 'x',
      migrations: [{ version: 2, name: 'skips one', up: () => undefined }],
    };
    expect(() => openDatabase(fresh(), [gap])).toThrow(/numbered 1, 2, 3/);
  });

  it('shares one connection between the audit store and other components', async () => {
    const db = openDatabase(fresh(), [auditMigrations, notesV1]);
    const store = SqliteAuditStore.open({ database: db, logger: silentLogger });
    const record = makeRecord();
    await store.append(record);
    await store.close();
    // The store did not close a connection it did not open.
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM audit_records').get()).toEqual({ n: 1 });
    db.close();
  });
});
