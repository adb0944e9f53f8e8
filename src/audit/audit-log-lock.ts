import { randomUUID } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../errors';
import { AuditLogInUseError, type LockHolder } from './audit-errors';
import { ensurePrivateDir, restrictToOwner } from './file-permissions';

/*
 * One process at a time may serve from an SQLite audit log: the hash chain would survive two (SQLite serialises
 * their writes), but usage budgets and rate limits live in each process's memory, so each would enforce them
 * alone. The lock is SQLite's own POSIX record lock on a small companion database, `<db>-lock`: a connection
 * holds an open write transaction (BEGIN IMMEDIATE, a RESERVED lock) for the life of the process, and another
 * connection's BEGIN IMMEDIATE fails at once with SQLITE_BUSY (busy timeout 0). The kernel drops the lock when
 * the process ends however it ends, SIGKILL included, so a crash never leaves a stale lock behind.
 *
 * POSIX locks belong to a process, not to a connection, but SQLite's unix VFS keeps track of the locks of every
 * connection of the process to one file (threads included), so a second connection in the same process is refused
 * as a second process is. Two consequences of the POSIX semantics matter here:
 * - closing ANY descriptor of the file drops every lock the process holds on it. SQLite defers its own closes
 *   while another of its connections holds a lock; nothing else in modelgate may open the lock file (so the
 *   holder is read through SQLite below, never with fs).
 * - the file is never deleted: a process that opened it just before the unlink would lock a file no one else sees.
 *
 * A RESERVED lock, not locking_mode=EXCLUSIVE, so that a refused process can still read who holds the lock: the
 * holder row, written and committed by the holder, stays readable beside a RESERVED lock.
 */

/** A held lock on an audit log. release() lets it go; the end of the process does too. */
export interface AuditLogLock {
  /** The lock file, `<db>-lock` beside the database (symbolic links resolved). */
  readonly file: string;
  release(): void;
}

/** What takes the lock, and what to tell a process refused because of it. */
export interface LockPurpose {
  /** How the holder row names this process: `modelgate serve`. */
  command: string;
  /** Appended to the refusal: why two at once is wrong, and the ways out. */
  advice: string;
}

const HOLDER_TABLE = `CREATE TABLE IF NOT EXISTS holder (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL, command TEXT NOT NULL, token TEXT NOT NULL)`;
// Writing the holder row commits, and a commit waits for readers to finish: a refused process reads the row.
const COMMIT_WAIT_MS = 2000;
// A refused process reading the holder row waits this long for the holder's own commit to finish.
const READ_WAIT_MS = 500;
// Rounds of "lock, write the holder row, commit, lock again"; two suffice unless other processes race this one.
const ATTEMPTS = 3;

/** Returns the lock file of an audit log: `<db>-lock`, the database's path with symbolic links resolved. */
export function lockFileOf(db: string): string {
  const real = existsSync(db)
    ? realpathSync(db)
    : path.join(realpathSync(path.dirname(db)), path.basename(db));
  return `${real}-lock`;
}

/**
 * Takes the lock of the SQLite audit log `db` and returns it; throws AuditLogInUseError, naming the holder, when
 * another process (or another service of this process) holds it, and ConfigError when the lock file is unusable.
 */
export function lockAuditLog(db: string, purpose: LockPurpose): AuditLogLock {
  ensurePrivateDir(path.dirname(db));
  const file = lockFileOf(db);
  const conn = openLockFile(file);
  try {
    const me = {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      command: purpose.command,
    };
    const token = randomUUID();
    // The holder row is committed, then the lock taken again: between the two another process may have taken
    // it (then this one is refused) or written its own row and let go (then this one writes again). Only a
    // process that holds the lock and reads its own row back goes on, so the row names whoever holds the lock
    // (but for the moment between a holder's first BEGIN and its commit, when it names the previous holder).
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (!tryLock(conn)) break;
      if (holderToken(conn) === token) return heldLock(conn, file);
      writeHolder(conn, me, token);
    }
    throw new AuditLogInUseError({
      db,
      lockFile: file,
      holder: readHolder(conn, token),
      advice: purpose.advice,
    });
  } catch (err) {
    conn.close();
    if (err instanceof AuditLogInUseError) throw err;
    throw new ConfigError('db', `cannot use the lock file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function openLockFile(file: string): Database.Database {
  const created = !existsSync(file);
  try {
    const conn = new Database(file, { timeout: 0 });
    if (created) restrictToOwner([file]);
    return conn;
  } catch (err) {
    throw new ConfigError('db', `cannot open the lock file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

// BEGIN IMMEDIATE takes the RESERVED lock or fails at once (busy timeout 0); false when another connection has it.
function tryLock(conn: Database.Database): boolean {
  conn.pragma('busy_timeout = 0');
  try {
    conn.exec('BEGIN IMMEDIATE');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw err;
  }
  conn.exec(HOLDER_TABLE);
  return true;
}

function holderToken(conn: Database.Database): string | undefined {
  const row = conn.prepare('SELECT token FROM holder WHERE id = 1').get() as { token: string } | undefined;
  return row?.token;
}

function writeHolder(conn: Database.Database, me: LockHolder, token: string): void {
  conn
    .prepare('INSERT OR REPLACE INTO holder VALUES (1, ?, ?, ?, ?, ?)')
    .run(me.pid, me.host, me.startedAt, me.command, token);
  conn.pragma(`busy_timeout = ${COMMIT_WAIT_MS}`);
  conn.exec('COMMIT');
}

// Who holds the lock, as the holder row says. Unnamed when the row is this process's own (another process took
// the lock in the moment after this one committed its row) or when no holder has committed a row yet.
function readHolder(conn: Database.Database, token: string): LockHolder | undefined {
  try {
    conn.pragma(`busy_timeout = ${READ_WAIT_MS}`);
    const row = conn
      .prepare('SELECT pid, host, started_at, command, token FROM holder WHERE id = 1')
      .get() as { pid: number; host: string; started_at: string; command: string; token: string } | undefined;
    if (!row || row.token === token) return undefined;
    return { pid: row.pid, host: row.host, startedAt: row.started_at, command: row.command };
  } catch {
    // No holder table yet, or the holder is committing its row right now: refused all the same, unnamed.
    return undefined;
  }
}

function heldLock(conn: Database.Database, file: string): AuditLogLock {
  return {
    file,
    release: () => {
      // Closing the connection ends its transaction and lets go of the lock; the file stays (see above).
      if (conn.open) conn.close();
    },
  };
}
