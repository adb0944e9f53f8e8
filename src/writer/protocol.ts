import { errorText, ReasonCode, UnavailableError } from '../errors';
import { AuditRecordError, RecordConditionError } from '../audit/audit-errors';
import type { ApprovalChange } from '../approvals/approval-store';
import type { AuditStoreStats, CheckpointOptions } from '../audit/sqlite-audit-store';
import type { PruneResult } from '../audit/audit-store';
import type { SynchronousMode } from '../audit/database';
import type { UsageReportRow } from '../usage/usage-reports';
import type { PreparedColumns, RecordPreparation } from '../decision/record-privacy';

/** What the writer thread is started with (workerData). */
export interface WriterSettings {
  path: string;
  synchronous: SynchronousMode;
  busyTimeoutMs?: number;
  checkpoint?: CheckpointOptions;
  maxBatchSize?: number;
  /** How decisions' records are made storable here (bounded, screened): see storableRecord. */
  preparation: RecordPreparation;
}

/** Requests from the main thread; each is answered by a `done` reply with the same id. */
export type WriterRequest =
  // Records arrive as JSON text, serialised one by one on the main thread: no record can make the
  // structured clone of a whole batch throw, and each is validated here on its own. `decisions` says, per
  // record, whether it is a decision's record as built, to be made storable here before it is chained.
  // `changes` says, per record, which approval change to make in the record's own transaction (or null).
  | { op: 'append'; id: number; records: string[]; decisions: boolean[]; changes?: (ApprovalChange | null)[] }
  | { op: 'report'; id: number; row: UsageReportRow }
  | { op: 'prune'; id: number; beforeMs: number }
  | { op: 'close'; id: number };

/** Results per request kind. `report` answers false when the decision's usage was already reported. */
export interface WriterResults {
  append: AppendOutcome[];
  report: boolean;
  prune: PruneResult;
  close: null;
}

/** One record of an append: stored as sent (null), stored with these string columns changed, or refused. */
export type AppendOutcome = null | { changed: PreparedColumns } | { error: WireError };

/** An error as it crosses the thread boundary: only what the main thread needs to rebuild it. */
export interface WireError {
  kind: 'record' | 'condition' | 'unavailable';
  message: string;
}

export type WriterReply =
  | { op: 'ready' }
  | { op: 'failed'; key: string; detail: string }
  // heapUsed: the thread's V8 heap in use, which only this thread can read (the soak's memory probe watches it).
  | {
      op: 'done';
      id: number;
      result?: unknown;
      error?: WireError;
      stats: AuditStoreStats;
      heapUsed: number;
      // The group commits (transactions) the thread made since its previous reply, for the audit metrics.
      commits?: CommitTiming[];
    }
  | { op: 'log'; level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string };

/** One group commit of the writer thread (a transaction): its records and its duration, fsync included. */
export interface CommitTiming {
  records: number;
  seconds: number;
}

/** Returns the wire form of an error; anything that is not a refused record is "unavailable". */
export function toWire(err: unknown): WireError {
  if (err instanceof AuditRecordError) return { kind: 'record', message: err.detail };
  if (err instanceof RecordConditionError) return { kind: 'condition', message: err.message };
  return { kind: 'unavailable', message: errorText(err) };
}

/** Rebuilds an error the writer thread reported, as the inline store would have thrown it. */
export function fromWire(wire: WireError): Error {
  if (wire.kind === 'record') return new AuditRecordError(wire.message);
  if (wire.kind === 'condition') return new RecordConditionError(wire.message);
  return new UnavailableError(ReasonCode.AuditUnavailable, wire.message);
}
