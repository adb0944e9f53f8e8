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

/** The database file was written by a newer modelgate, or belongs to another application. */
export class DatabaseVersionError extends ConfigError {
  constructor(file: string, message: string) {
    super('db', `${file}: ${message}`);
    this.name = 'DatabaseVersionError';
  }
}

/** An export stopped because its output stream errored or closed first. */
export class ExportAbortedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`export aborted: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExportAbortedError';
  }
}
