import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { databaseFiles, ensurePrivateDir, restrictToOwner } from './file-permissions';
import { ConfigError } from '../errors';
import { DatabaseVersionError } from './audit-errors';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** One schema change: `up` runs inside the transaction that records it, so it applies fully or not at all. */
export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
}

/** The ordered migrations of one component (audit, usage, ...); versions count 1, 2, 3 per component. */
export interface MigrationSet {
  component: string;
  migrations: readonly Migration[];
}

/**
 * SQLite `synchronous` in WAL mode. FULL: the WAL is fsynced at every commit, so a committed
 * record survives power loss and OS crashes. NORMAL: the WAL is fsynced only at checkpoints,
 * so commits survive a crash of modelgate itself but the last ones may be lost (never corrupted)
 * if the OS crashes or power fails.
 */
export type SynchronousMode = 'FULL' | 'NORMAL';

/** How openDatabase sets up the connection. */
export interface OpenDatabaseOptions {
  /** Default FULL. Ignored when readonly. */
  synchronous?: SynchronousMode;
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. Default 2000. */
  busyTimeoutMs?: number;
  /** Open without writing anything: no migrations, the schema must already be current. */
  readonly?: boolean;
  /** Page size of a file created now (a power of two, 512 to 65536); default NEW_DATABASE_PAGE_SIZE. */
  pageSize?: number;
  logger?: Logger;
}

/**
 * The page size of a database file modelgate creates; a file keeps the size it was created with. SQLite's own
 * default is 4096. Every commit writes each page it changed to the WAL in full, and a decision's record changes
 * a leaf of each query index (subject, model, outcome, time, decision id, reasons) besides its own row: with
 * 4 KiB pages a group commit of 2-3 records wrote 14-15 pages, 33 KB a decision, 60 MB/s at 1,850 decisions/s.
 * With 1 KiB pages half of that: 1.01-1.06x decisions/s, 0.93-0.99x CPU and a shorter p99 in paired runs
 * (bench/RESULTS.md, "Smaller pages"). A record longer than a page continues on overflow pages, which reads
 * such as verify follow.
 */
export const NEW_DATABASE_PAGE_SIZE = 1024;

// "MGAT": marks the file as modelgate's, so a mistyped path never migrates someone else's database.
const APPLICATION_ID = 0x4d474154;
const MIGRATIONS_TABLE = 'modelgate_migrations';

/**
 * Returns a connection to the SQLite file in WAL mode with every migration set applied (older
 * databases are upgraded in place, in one transaction). Throws DatabaseVersionError if the file
 * was written by a newer modelgate or is not a modelgate database.
 */
export function openDatabase(
  file: string,
  sets: readonly MigrationSet[],
  options: OpenDatabaseOptions = {},
): Db {
  sets.forEach(checkMigrationSet);
  const readonly = options.readonly ?? false;
  if (!readonly) ensurePrivateDir(dirname(file));
  const created = !readonly && !existsSync(file);
  // A reader given a path where nothing was ever recorded: say so, rather than SQLite's "unable to open".
  if (readonly && !existsSync(file)) throw missingAuditLogError(file);
  // SQLite says "disk I/O error" or "unable to open database file" for a folder.
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new ConfigError('db', `${file} is a folder, not an audit log`);
  }
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: options.busyTimeoutMs ?? 2000 });
  } catch (err) {
    throw new ConfigError('db', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  // Before WAL mode creates the -wal and -shm files, which then take this file's mode.
  if (created) restrictToOwner(databaseFiles(file));
  try {
    if (readonly) {
      checkOwnership(db, file);
      for (const set of sets) checkCurrent(db, file, set);
    } else {
      // Before WAL mode and the first table: afterwards the size is fixed.
      if (created) setPageSize(db, options.pageSize ?? NEW_DATABASE_PAGE_SIZE);
      // Before WAL mode too: switching the journal mode is a lasting change to a file that may not be ours.
      // migrate() checks again under the write lock.
      checkOwnership(db, file);
      configureWriter(db, file, options.synchronous ?? 'FULL');
      migrate(db, file, sets, options.logger);
    }
    return db;
  } catch (err) {
    db.close();
    throw firstReadError(err, file);
  }
}

// SQLite finds these out at the first read, and its messages name no file.
function firstReadError(err: unknown, file: string): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'SQLITE_NOTADB') {
    return new ConfigError('db', `${file} is not an SQLite database (${(err as Error).message})`, {
      cause: err,
    });
  }
  // "attempt to write a readonly database", said to a reader: it may read the file but not create <db>-shm.
  if (code === 'SQLITE_READONLY_DIRECTORY') {
    return new ConfigError(
      'db',
      `cannot open ${file} read-only here: SQLite must create ${file}-shm beside a WAL database, and this ` +
        `user cannot write to ${dirname(file)}; run as the owner of the log, or read a copy in a folder this ` +
        'user can write',
      { cause: err },
    );
  }
  return err;
}

/** Returns the error for a path where an existing audit log was expected and there is none. */
export function missingAuditLogError(file: string): ConfigError {
  return new ConfigError('db', `no audit log at ${file} (nothing was recorded there, or the file is gone)`);
}

/** Returns the version of a component's schema in the database, 0 if it has none. */
export function schemaVersion(db: Db, component: string): number {
  if (!hasTable(db, MIGRATIONS_TABLE)) return 0;
  const row = db
    .prepare(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE} WHERE component = ?`)
    .get(component) as {
    v: number | null;
  };
  return row.v ?? 0;
}

function setPageSize(db: Db, size: number): void {
  if (!Number.isInteger(Math.log2(size)) || size < 512 || size > 65536) {
    throw new TypeError(`page size ${size} is not a power of two from 512 to 65536`);
  }
  db.pragma(`page_size = ${size}`);
}

function configureWriter(db: Db, file: string, synchronous: SynchronousMode): void {
  // WAL: readers (queries, verify, export) never block the writer, and a commit is one append + fsync.
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal')
    throw new ConfigError('db', `${file}: SQLite cannot use WAL mode here (got ${String(mode)})`);
  db.pragma(`synchronous = ${synchronous}`);
  // macOS only: plain fsync does not flush the drive's cache; F_FULLFSYNC does. A no-op elsewhere.
  if (synchronous === 'FULL') db.pragma('fullfsync = ON');
}

function migrate(db: Db, file: string, sets: readonly MigrationSet[], logger?: Logger): void {
  // IMMEDIATE takes the write lock first, so two processes starting together cannot both migrate.
  const run = db.transaction(() => {
    checkOwnership(db, file);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
      PRIMARY KEY (component, version))`);
    const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} VALUES (?, ?, ?, ?)`);
    for (const set of sets) {
      const current = schemaVersion(db, set.component);
      refuseNewer(file, set, current);
      for (const migration of set.migrations) {
        if (migration.version <= current) continue;
        migration.up(db);
        record.run(set.component, migration.version, migration.name, new Date().toISOString());
        logger?.info({ component: set.component, version: migration.version }, `migrated: ${migration.name}`);
      }
    }
  });
  run.immediate();
}

function checkOwnership(db: Db, file: string): void {
  const id = db.pragma('application_id', { simple: true }) as number;
  if (id === APPLICATION_ID) return;
  const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'`).get() as {
    n: number;
  };
  if (id !== 0 || tables.n > 0) {
    throw new DatabaseVersionError(
      file,
      'is not a modelgate database (other tables, no modelgate marker); not touching it',
    );
  }
}

function checkCurrent(db: Db, file: string, set: MigrationSet): void {
  const current = schemaVersion(db, set.component);
  refuseNewer(file, set, current);
  if (current < latest(set)) {
    throw new DatabaseVersionError(
      file,
      `${set.component} schema is version ${current}, this modelgate needs ${latest(set)}; ` +
        'open it once read-write (start modelgate) to upgrade it',
    );
  }
}

function refuseNewer(file: string, set: MigrationSet, current: number): void {
  if (current > latest(set)) {
    throw new DatabaseVersionError(
      file,
      `${set.component} schema is version ${current}, newer than this modelgate supports (${latest(set)}); ` +
        'upgrade modelgate or use another database file',
    );
  }
}

function latest(set: MigrationSet): number {
  return set.migrations.at(-1)?.version ?? 0;
}

function checkMigrationSet(set: MigrationSet): void {
  set.migrations.forEach((migration, i) => {
    // Gaps or reordering would make "version N" mean different schemas on different machines.
    if (migration.version !== i + 1) {
      throw new TypeError(
        `migrations of ${set.component} must be numbered 1, 2, 3...; #${i} is ${migration.version}`,
      );
    }
  });
}

function hasTable(db: Db, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}
