import type { Writable } from 'node:stream';
import type { AuditRecordV1 } from '../audit/audit-record';
import { AuditRecordError } from '../audit/audit-errors';
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
} from '../audit/audit-store';
import type { AuditStoreStats, SqliteAuditStore } from '../audit/sqlite-audit-store';
import { parseInstant, type Instant } from '../audit/time-range';
import { verifyOnThread } from '../audit/verify-on-thread';
import { ReasonCode, UnavailableError } from '../errors';
import type { PreparedColumns } from '../decision/record-privacy';
import { fromWire } from './protocol';
import type { WriterThread } from './writer-client';
import type { ApprovalChange, ApprovalLog } from '../approvals/approval-store';

interface Pending {
  /** The record as JSON text: a string crosses to the writer thread cheaply and can never make the clone throw. */
  record: string;
  /** A decision's record as built, made storable by the writer thread (see appendDecision). */
  decision: boolean;
  /** An approval change to make in the record's own transaction (appendWithChange). */
  change: ApprovalChange | null;
  resolve: (changed: PreparedColumns | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * The audit log of the running service: appends go to the writer thread, reads come from a
 * read-only store on the main thread's connection (WAL readers see every committed record).
 *
 * Group commit across threads: the appends of each event-loop turn go to the thread at once, even while
 * it commits an earlier batch. The thread takes every request that arrived during a commit into its next
 * transaction (its GroupCommitQueue), so a slow fsync makes batches bigger rather than the queue longer, and
 * no batch first waits for the previous one's answer to cross back to this thread. Each append resolves
 * only once its batch is committed.
 */
export class ThreadedAuditStore implements AuditStore, ApprovalLog {
  private pending: Pending[] = [];
  /** Records sent to the thread and not yet answered (every batch sent holds at least one). */
  private inFlightSize = 0;
  private scheduled = false;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly writer: WriterThread,
    private readonly reader: SqliteAuditStore,
  ) {}

  /** Resolves once committed; rejects with AuditRecordError for this record alone if it cannot be stored. */
  async append(record: AuditRecordV1): Promise<void> {
    await this.enqueue(record, false);
  }

  /**
   * Resolves once the record is committed in the same transaction as the approval change it describes; rejects
   * with RecordConditionError, having written neither, when the change could not be made (see applyChange).
   */
  async appendWithChange(record: AuditRecordV1, change: ApprovalChange): Promise<void> {
    await this.enqueue(record, false, change);
  }

  /**
   * Appends a decision's record as built: the writer thread makes it storable (storableRecord: bounded, then
   * screened and redacted) before it chains it, so that work leaves the event loop. Resolves once committed,
   * with the string columns that this changed.
   */
  appendDecision(record: AuditRecordV1): Promise<PreparedColumns | undefined> {
    return this.enqueue(record, true);
  }

  private enqueue(
    record: AuditRecordV1,
    decision: boolean,
    change: ApprovalChange | null = null,
  ): Promise<PreparedColumns | undefined> {
    if (this.closed) {
      return Promise.reject(new UnavailableError(ReasonCode.AuditUnavailable, 'the audit log is closed'));
    }
    // Serialised here, one record at a time, before it joins a batch: a record that cannot be
    // serialised fails alone. The writer thread validates and canonicalises it, also one by one.
    let json: string;
    try {
      json = JSON.stringify(record);
    } catch (err) {
      return Promise.reject(new AuditRecordError(`cannot serialise the record: ${(err as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ record: json, decision, change, resolve, reject });
      this.schedule();
    });
  }

  get(decisionId: string): Promise<StoredAuditRecord | null> {
    return this.reader.get(decisionId);
  }

  query(filter: AuditQuery): Promise<AuditPage> {
    return this.reader.query(filter);
  }

  /** Walks the chain on a worker thread of its own; with a progress callback, on this thread (the CLI's way). */
  verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    if (options.onProgress) return this.reader.verify(options);
    return verifyOnThread(this.reader.fileName, options);
  }

  exportRecords(
    options: ExportOptions,
    out: Writable,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<ExportProgress> {
    return this.reader.exportRecords(options, out, onProgress);
  }

  async prune(options: { before: Instant }): Promise<PruneResult> {
    const beforeMs = parseInstant(options.before, 'before');
    if (this.closed) throw new UnavailableError(ReasonCode.AuditUnavailable, 'the audit log is closed');
    return this.writer.request<'prune'>({ op: 'prune', beforeMs });
  }

  /** Counters of the writer thread's store. */
  stats(): AuditStoreStats {
    return this.writer.stats();
  }

  /** Records waiting for a commit: queued here, plus the batch the writer thread is committing. */
  get queueDepth(): number {
    return this.pending.length + this.inFlightSize;
  }

  /** False once closed, once the writer thread has stopped, or once the database file was deleted or replaced. */
  get open(): boolean {
    return !this.closed && this.writer.running && this.reader.fileInPlace();
  }

  /** Waits for every append to be committed, then closes the writer thread (which signs the head). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queueDepth > 0) await new Promise<void>((done) => this.idle.push(done));
    await this.writer.close();
  }

  // Appends of one event-loop turn travel together; setImmediate runs after the turn's I/O callbacks.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.inFlightSize += batch.length;
    this.writer
      .request<'append'>({
        op: 'append',
        records: batch.map((entry) => entry.record),
        decisions: batch.map((entry) => entry.decision),
        changes: batch.map((entry) => entry.change),
      })
      .then(
        (outcomes) =>
          batch.forEach((entry, i) => {
            const outcome = outcomes[i] ?? null;
            if (outcome !== null && 'error' in outcome) entry.reject(fromWire(outcome.error));
            else entry.resolve(outcome?.changed);
          }),
        (err: Error) => batch.forEach((entry) => entry.reject(err)),
      )
      .finally(() => {
        this.inFlightSize -= batch.length;
        if (this.queueDepth === 0) for (const done of this.idle.splice(0)) done();
      });
  }
}
