import { hostname } from 'node:os';
import { ConfigError, ModelgateError, ReasonCode } from '../errors';

/**
 * The decision pipeline handed over a record the audit log refuses: malformed, or carrying
 * something the log must never hold (raw payload, a token). A bug in modelgate, hence a 500.
 */
export class AuditRecordError extends ModelgateError {
  /** What is wrong with the record, without the prefix: lets the writer thread pass it on as is. */
  readonly detail: string;
  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(ReasonCode.InternalError, 500, `audit record refused: ${message}`, options);
    this.detail = message;
  }
}

/**
 * A record written on a condition (PreparedRecord.condition) was not written because the condition no longer
 * held, e.g. the approval it decides was decided by someone else first. Nothing of it was written.
 */
export class RecordConditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordConditionError';
  }
}

/** The database file was written by a newer modelgate, or belongs to another application. */
export class DatabaseVersionError extends ConfigError {
  constructor(file: string, message: string) {
    super('db', `${file}: ${message}`);
    this.name = 'DatabaseVersionError';
  }
}

/** The process holding an audit log's lock, as it wrote itself down in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601: when it took the lock. */
  startedAt: string;
  /** What it runs: `modelgate serve`. */
  command: string;
}

/** Another process (or another service of this one) holds the SQLite audit log's lock: see audit-log-lock.ts. */
export class AuditLogInUseError extends Error {
  readonly db: string;
  readonly lockFile: string;
  /** Undefined when the lock file does not say (a holder that has not written it down yet). */
  readonly holder?: LockHolder;
  constructor(what: { db: string; lockFile: string; holder?: LockHolder; advice: string }) {
    super(`the audit log ${what.db} is in use by ${describeHolder(what.holder)}: ${what.advice}`);
    this.name = 'AuditLogInUseError';
    this.db = what.db;
    this.lockFile = what.lockFile;
    this.holder = what.holder;
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process';
  const since = `since ${holder.startedAt}`;
  if (holder.pid === process.pid && holder.host === hostname()) {
    return `another service in this process (pid ${holder.pid}, ${since})`;
  }
  return `${holder.command} (pid ${holder.pid} on host ${holder.host}, ${since})`;
}

/** An export stopped because its output stream errored or closed first. */
export class ExportAbortedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`export aborted: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExportAbortedError';
  }
}
