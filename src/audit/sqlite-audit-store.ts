import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Writable } from 'node:stream';
import { ReasonCode, UnavailableError } from '../errors';
import { exportRecords } from './audit-export';
import { auditMigrations } from './audit-migrations';
import { planQuery, encodeCursor } from './audit-query';
import type { AuditRecordV1 } from './audit-record';
import { pruneBefore } from './audit-retention';
import type {
  AuditPage,
  AuditQuery,
  AuditStore,
  ExportOptions,
  ExportProgress,
  PruneResult,
  StoredAuditRecord,
  VerifyOptions,
  VerifyResult,
} from './audit-store';
import { verifyChain } from './chain-verifier';
import { openDatabase, schemaVersion, type Db, type SynchronousMode } from './database';
import { ChainWriter, type PreparedRecord } from './chain-writer';
import { CheckpointWriter } from './checkpoint-writer';
import { GroupCommitQueue } from './group-commit';
import { prepareRecord } from './prepare-record';
import { loadCheckpointKey, loadCheckpointSigner } from './signed-checkpoints';
import { parseInstant, type Instant } from './time-range';

/** Signing of chain heads; see the README section "Signed checkpoints". */
export interface CheckpointOptions {
  privateKeyFile: string;
  /** Sign after this many unsigned records. Default 1000. */
  everyRecords?: number;
  /** Sign at least this often while unsigned records exist. Default 60. */
  everySeconds?: number;
}

/** How to open a SqliteAuditStore. Give `path`, or a `database` opened with auditMigrations. */
export interface SqliteAuditStoreOptions {
  path?: string;
  /** A shared connection (e.g. with the usage tables); the store then does not close it. */
  database?: Db;
  /** Default FULL; see SynchronousMode for what each survives. */
  synchronous?: SynchronousMode;
  busyTimeoutMs?: number;
  /** For verify and export of a file that must not change: no migrations, no appends. */
  readonly?: boolean;
  checkpoint?: CheckpointOptions;
  /** Largest group commit. Default 1000; 1 turns batching off (benchmarks). */
  maxBatchSize?: number;
  /** Who copies the WAL back into the database; by default this store, between its commits. */
  walCheckpointer?: WalCheckpointer;
  /** Called after each group commit (one transaction; failed ones too) with its records and duration, fsync included. */
  onCommit?: (timing: { records: number; seconds: number }) => void;
  logger: Logger;
  now?: () => number;
}

/**
 * Takes the WAL checkpoints off the connection that commits (see WalCheckpointThread). `request` returns false
 * when it can no longer take one, or when this one should run here, between commits, so that it catches up and the
 * next commit starts the WAL over; the store then checkpoints itself.
 */
export interface WalCheckpointer {
  request(): boolean;
}

/** Counters for metrics and tests. */
export interface AuditStoreStats {
  /** Records committed by this store. */
  appended: number;
  /** Transactions that committed at least one record. */
  commits: number;
  /** Transactions that failed (every record in them was rejected). */
  failedCommits: number;
  /** Signed checkpoints written. */
  checkpoints: number;
}

type RecordRow = { seq: number; record: string; prev_hash: string; hash: string; ts_ms?: number };

// How long after a commit the store copies the WAL back into the database (a PASSIVE WAL checkpoint), or
// asks its walCheckpointer to. SQLite's automatic checkpoint runs inside the COMMIT that crosses 1000 WAL
// pages, so every ~15th batch of the benchmark waited for that copy and its fsync (commit p99 6.4 ms against
// p50 1.0 ms). Run from a timer, it happens between batches, after their callers have their answers: 1.04x
// decisions/s over 12 paired rounds. Done here, between commits, each copy catches up and the next commit starts
// the WAL over; done by a WalCheckpointer while commits go on, the WAL starts over when a copy catches up between
// two commits (every few seconds under steady load), or when the checkpointer hands one back to run here
// (docs/audit.md, "Durability").
const WAL_CHECKPOINT_MS = 50;

/**
 * The audit log in SQLite: appends are validated, hash-chained and group-committed; reads use
 * indexes; verify and export stream from a connection of their own so they never hold up appends.
 */
export class SqliteAuditStore implements AuditStore {
  private readonly queue: GroupCommitQueue<PreparedRecord>;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly counters: AuditStoreStats = { appended: 0, commits: 0, failedCommits: 0, checkpoints: 0 };
  private readonly chain: ChainWriter | null;
  private readonly checkpoints: CheckpointWriter | null;
  private timer: NodeJS.Timeout | undefined;
  private walTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The file this connection opened (device and inode), to notice it deleted or replaced (fileInPlace). */
  private readonly identity: string | null;
  // Built once: a better-sqlite3 transaction wrapper is not free to create per commit.
  private readonly writeBatch: Database.Transaction<
    (items: PreparedRecord[]) => { refused: (Error | undefined)[]; signedAt: number | null }
  >;

  private constructor(
    private readonly db: Db,
    private readonly file: string,
    private readonly ownsDb: boolean,
    private readonly options: SqliteAuditStoreOptions,
  ) {
    const writable = !options.readonly;
    this.identity = fileIdentity(file);
    this.chain = writable ? new ChainWriter(db) : null;
    // This store checkpoints the WAL of its connection itself (checkpointWal, after commits), shared or not.
    if (writable) db.pragma('wal_autocheckpoint = 0');
    const checkpoint = options.checkpoint;
    this.checkpoints =
      checkpoint && writable
        ? new CheckpointWriter(
            db,
            loadCheckpointSigner(checkpoint.privateKeyFile),
            {
              everyRecords: checkpoint.everyRecords ?? 1000,
              everyMs: (checkpoint.everySeconds ?? 60) * 1000,
            },
            options.now ?? Date.now,
          )
        : null;
    this.writeBatch = db.transaction((items: PreparedRecord[]) => {
      const { refused, head } = this.chain!.append(items);
      return { refused, signedAt: this.checkpoints?.signIfDue(head, false) ?? null };
    });
    this.queue = new GroupCommitQueue<PreparedRecord>({
      maxBatch: options.maxBatchSize ?? 1000,
      commit: (items) => this.commit(items),
      failure: (err, size) => this.commitFailed(err, size),
    });
    if (this.checkpoints && checkpoint) {
      // Time-based signing also covers quiet periods, when no batch would trigger it.
      const period = Math.min((checkpoint.everySeconds ?? 60) * 1000, 10_000);
      this.timer = setInterval(() => this.checkpointIfDue(false), period).unref();
    }
  }

  /** Returns an open store: the database created or upgraded, the signing key (if any) loaded. */
  static open(options: SqliteAuditStoreOptions): SqliteAuditStore {
    if (options.database) {
      const version = schemaVersion(options.database, auditMigrations.component);
      if (version !== auditMigrations.migrations.length) {
        throw new TypeError(
          `the database given has audit schema ${version}; open it with auditMigrations first`,
        );
      }
      return new SqliteAuditStore(options.database, options.database.name, false, options);
    }
    if (!options.path) throw new TypeError('SqliteAuditStore.open needs a path or a database');
    const db = openDatabase(options.path, [auditMigrations], {
      synchronous: options.synchronous,
      busyTimeoutMs: options.busyTimeoutMs,
      readonly: options.readonly,
      logger: options.logger,
    });
    try {
      return new SqliteAuditStore(db, options.path, true, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Resolves once the record is committed; see AuditStore.append. */
  append(record: AuditRecordV1): Promise<void> {
    if (this.closed || this.options.readonly) {
      const why = this.closed ? 'the audit log is closed' : 'the audit log was opened read-only';
      return Promise.reject(new UnavailableError(ReasonCode.AuditUnavailable, why));
    }
    let prepared: PreparedRecord;
    try {
      prepared = prepareRecord(record);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.appendPrepared(prepared);
  }

  /**
   * Resolves once the record is committed together with the change `condition` makes in the same transaction;
   * rejects with RecordConditionError, writing neither, when the condition returns false.
   */
  appendIf(record: AuditRecordV1, condition: () => boolean): Promise<void> {
    let prepared: PreparedRecord;
    try {
      prepared = prepareRecord(record);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.appendPrepared({ ...prepared, condition });
  }

  /** Resolves once a record already checked and serialised by prepareRecord is committed. */
  appendPrepared(prepared: PreparedRecord): Promise<void> {
    if (this.closed || this.options.readonly) {
      const why = this.closed ? 'the audit log is closed' : 'the audit log was opened read-only';
      return Promise.reject(new UnavailableError(ReasonCode.AuditUnavailable, why));
    }
    return this.queue.enqueue(prepared);
  }

  /** Returns the record of a decision, or null. */
  async get(decisionId: string): Promise<StoredAuditRecord | null> {
    const row = this.statement(
      'SELECT seq, record, prev_hash, hash FROM audit_records WHERE decision_id = ?',
    ).get(decisionId) as RecordRow | undefined;
    return row ? toStored(row) : null;
  }

  /** Returns one page of records matching every filter, newest first, with a cursor for the next. */
  async query(filter: AuditQuery): Promise<AuditPage> {
    const plan = planQuery(filter);
    const rows = this.statement(plan.sql).all(plan.params) as Required<RecordRow>[];
    const page = rows.slice(0, plan.limit);
    const last = page.at(-1);
    return {
      records: page.map(toStored),
      next_cursor:
        rows.length > plan.limit && last ? encodeCursor({ tsMs: last.ts_ms, seq: last.seq }) : null,
    };
  }

  /** Returns whether the chain (and, given public keys, its checkpoints) is intact; see AuditStore.verify. */
  async verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    const keys = options.publicKeys ? options.publicKeys.map(loadCheckpointKey) : null;
    return this.withReader((reader) =>
      verifyChain(reader, {
        keys,
        incremental: options.incremental,
        onProgress: options.onProgress,
        witness: options.witness,
      }),
    );
  }

  /** Streams records to `out`; see AuditStore.exportRecords. */
  async exportRecords(
    options: ExportOptions,
    out: Writable,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<ExportProgress> {
    return this.withReader((reader) => exportRecords(reader, options, out, onProgress));
  }

  /** Deletes records older than `before` and anchors the remaining chain; see pruneBefore. */
  async prune(options: { before: Instant }): Promise<PruneResult> {
    const beforeMs = parseInstant(options.before, 'before');
    if (this.closed || this.options.readonly) {
      throw new UnavailableError(ReasonCode.AuditUnavailable, 'the audit log is closed or read-only');
    }
    // Pending appends first, so none of them lands in a chain whose head moved under it.
    this.queue.flushAll();
    const result = pruneBefore(this.db, beforeMs);
    this.options.logger.info({ deleted: result.deleted, anchor_seq: result.anchor?.seq }, 'audit log pruned');
    return result;
  }

  /** Returns counters of commits and appended records since open. */
  stats(): AuditStoreStats {
    return { ...this.counters };
  }

  /** Commits pending appends, signs the head if records are unsigned, closes the connection it opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.queue.flushAll();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.walTimer);
    this.checkpointIfDue(true);
    if (this.ownsDb) this.db.close();
  }

  /**
   * False once the file at the store's path is no longer the one its connection opened (deleted, or replaced by a
   * rename): SQLite would go on committing into the unlinked file, and every record since would vanish with the
   * process. One stat; always true for an in-memory database.
   */
  /** The SQLite file, for work that opens it again on another thread. */
  get fileName(): string {
    return this.file;
  }

  fileInPlace(): boolean {
    return this.identity === null || fileIdentity(this.file) === this.identity;
  }

  // One transaction for the whole batch: one fsync however many records. BEGIN IMMEDIATE takes the
  // write lock before reading the head, so a second process on the same file cannot fork the chain.
  private commit(items: PreparedRecord[]): (Error | undefined)[] {
    const startedMs = performance.now();
    let result: ReturnType<typeof this.writeBatch.immediate>;
    try {
      // A commit into a deleted or replaced file would be acknowledged and lost: fail the batch instead.
      if (!this.fileInPlace()) {
        throw Object.assign(new Error(`the audit log file ${this.file} was deleted or replaced while open`), {
          code: 'FILE_REPLACED',
        });
      }
      result = this.appendBatch(items);
    } finally {
      this.options.onCommit?.({ records: items.length, seconds: (performance.now() - startedMs) / 1000 });
    }
    const { refused, signedAt } = result;
    const committed = refused.filter((error) => error === undefined).length;
    this.counters.appended += committed;
    if (committed > 0) this.counters.commits += 1;
    if (signedAt !== null) this.signed(signedAt);
    this.walTimer ??= setTimeout(() => this.checkpointWal(), WAL_CHECKPOINT_MS).unref();
    return refused;
  }

  // A batch that rolls back leaves the head where it was: the chain writer must expect that head again.
  private appendBatch(items: PreparedRecord[]): ReturnType<typeof this.writeBatch.immediate> {
    const before = this.chain!.expectedHead();
    try {
      return this.writeBatch.immediate(items);
    } catch (err) {
      this.chain!.rolledBack(before);
      throw err;
    }
  }

  // PASSIVE: copies what no reader still needs and never waits for one; the next commit then starts the
  // WAL over from its beginning once all of it was copied. A failure here loses nothing (the records are
  // in the WAL, and SQLite checkpoints again when the connection closes): logged, retried after the next commit.
  private checkpointWal(): void {
    this.walTimer = undefined;
    if (this.closed || this.options.walCheckpointer?.request()) return;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      this.options.logger.warn({ err }, 'could not checkpoint the audit WAL; will retry');
    }
  }

  private commitFailed(err: unknown, size: number): Error {
    this.counters.failedCommits += 1;
    const code = (err as { code?: string }).code ?? 'error';
    this.options.logger.error({ err, records: size }, 'audit log commit failed; the batch was rolled back');
    return new UnavailableError(
      ReasonCode.AuditUnavailable,
      `the audit log cannot record decisions (${code})`,
      {
        cause: err,
      },
    );
  }

  private checkpointIfDue(force: boolean): void {
    const { chain, checkpoints } = this;
    if (!chain || !checkpoints) return;
    try {
      const signedAt = this.db.transaction(() => checkpoints.signIfDue(chain.head(), force)).immediate();
      if (signedAt !== null) this.signed(signedAt);
    } catch (err) {
      // Records stay chained and the next checkpoint covers them too; nothing to fail here.
      this.options.logger.warn({ err }, 'could not write a signed audit checkpoint; will retry');
    }
  }

  private signed(atMs: number): void {
    this.checkpoints?.committed(atMs);
    this.counters.checkpoints += 1;
  }

  // verify and export keep an iterator open across awaits: on their own connection, appends go on.
  private async withReader<T>(work: (reader: Db) => Promise<T>): Promise<T> {
    const reader = new Database(this.file, { readonly: true, fileMustExist: true });
    try {
      return await work(reader);
    } finally {
      reader.close();
    }
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

// Device and inode of a database file; null for an in-memory database, 'missing' once the path holds nothing.
function fileIdentity(file: string): string | null {
  if (file === '' || file === ':memory:') return null;
  const stats = statSync(file, { bigint: true, throwIfNoEntry: false });
  return stats ? `${stats.dev}:${stats.ino}` : 'missing';
}

function toStored(row: RecordRow): StoredAuditRecord {
  return {
    ...(JSON.parse(row.record) as AuditRecordV1),
    seq: row.seq,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
