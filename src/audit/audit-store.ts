import type { KeyObject } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { AuditOutcome, AuditRecordV1 } from './audit-record';
import type { ChainHead } from './hash-chain';
import type { Checkpoint } from './signed-checkpoints';
import type { Instant } from './time-range';

/** A record as stored: the record itself plus its place in the hash chain. */
export type StoredAuditRecord = AuditRecordV1 & { seq: number; prev_hash: string; hash: string };

/** Filters for query(); every given filter must match. Times are [from, to). */
export interface AuditQuery {
  subject?: string;
  model?: string;
  outcome?: AuditOutcome;
  /** A reason code the record carries. */
  reason?: string;
  from?: Instant;
  to?: Instant;
  /** Page size, default 50, at most 500 (larger values are lowered to 500). */
  limit?: number;
  /** next_cursor of the previous page. */
  cursor?: string;
}

/** One page of records, newest first. */
export interface AuditPage {
  records: StoredAuditRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/** How a chain break was classified. */
export type TamperProblem =
  | 'modified' // a record's content no longer matches its hash (or a rehashed record no longer matches its successor)
  | 'deleted' // a seq is missing, or records after the head that a checkpoint or index still vouches for
  | 'inserted' // a record that is not part of the chain sits before records shifted to make room
  | 'reordered' // intact records sit at positions other than the ones they were hashed at
  | 'rewritten' // the chain is consistent but contradicts a signed checkpoint: it was recomputed
  | 'bad_checkpoint_signature'; // a checkpoint's signature is invalid or by a key verify was not given

/** Options for verify(). */
export interface VerifyOptions {
  /** Ed25519 public keys (PEM or KeyObject) whose checkpoints to check; none = checkpoints are not checked. */
  publicKeys?: (string | Buffer | KeyObject)[];
  /** Called now and then with the number of records checked so far. */
  onProgress?: (recordsChecked: number) => void;
  /**
   * Start at the last signed checkpoint instead of the chain's start (needs publicKeys; without a
   * checkpoint whose signature verifies, the whole chain is walked). Records before that checkpoint
   * are not re-read: they are trusted to its signature. Every checkpoint is still checked.
   */
  incremental?: boolean;
  /**
   * A signed checkpoint an earlier verify saw (its result's `checkpoints.last`), kept where the database host
   * cannot change it. Needs publicKeys. The log must still hold its seq with its hash: a log rolled back past
   * it, or replaced by a consistent chain, is reported (deleted, rewritten) though it verifies on its own.
   */
  witness?: Checkpoint;
}

/** Which records verify re-read and re-hashed, and what it trusted for the rest. */
export interface VerifiedRange {
  /** full: every record from the chain's start; incremental: from the trusted checkpoint on. */
  mode: 'full' | 'incremental';
  /** First and last seq re-hashed; null when nothing was (an empty log, or a break before any record). */
  from_seq: number | null;
  to_seq: number | null;
  /** incremental only: the signed checkpoint the walk started at; the records before it were not re-read. */
  trusted_checkpoint: { seq: number; hash: string; signed_at: string; key_id: string } | null;
}

/** The chain is intact. */
export interface VerifyOk {
  ok: true;
  /** Records re-hashed: all of them in a full verify, those from the trusted checkpoint on otherwise. */
  records: number;
  /** Hash of the last record: note it somewhere else to detect a later truncation or rewrite. */
  head: string;
  /** Where the chain starts after pruning; null if it starts at genesis. */
  anchor: (ChainHead & { pruned_at: string }) | null;
  /** Checkpoint coverage when public keys were given, else null. */
  checkpoints: {
    verified: number;
    last_seq: number | null;
    unsigned_records: number;
    /** The last checkpoint that verified, signature included: what to keep as the next verify's witness. */
    last: Checkpoint | null;
  } | null;
  /** The witness given, which the log still holds; null without one. */
  witness: { seq: number; signed_at: string } | null;
  range: VerifiedRange;
}

/** The chain is broken; verification stopped at the first break. */
export interface VerifyBroken {
  ok: false;
  records_checked: number;
  /** Where it breaks; decision_id is null when the record there is gone. */
  first_bad: { seq: number; decision_id: string | null };
  problem: TamperProblem;
  message: string;
  /** What was walked before the break (from_seq to the last sound record). */
  range?: VerifiedRange;
}

/** The outcome of verify(). */
export type VerifyResult = VerifyOk | VerifyBroken;

/** Options for exportRecords(). Times are [from, to); records come oldest first. */
export interface ExportOptions {
  from?: Instant;
  to?: Instant;
  format: 'jsonl' | 'csv';
  /** Labels for JSONL events, merged over { app: "modelgate" }. */
  labels?: Record<string, string>;
}

/** Progress of an export. */
export interface ExportProgress {
  records: number;
}

/** Retention: what prune removed and where the chain now starts. */
export interface PruneResult {
  deleted: number;
  /** The last pruned record: the remaining chain is verified from it. Null if nothing was ever pruned. */
  anchor: ChainHead | null;
}

/** The audit log: durable, hash-chained, queryable. Implemented by SqliteAuditStore. */
export interface AuditStore {
  /** Resolves once the record is committed; rejects with UnavailableError audit_unavailable if it cannot be. */
  append(record: AuditRecordV1): Promise<void>;
  /** Returns the record of a decision, or null. */
  get(decisionId: string): Promise<StoredAuditRecord | null>;
  /** Returns one page of records matching every filter, newest first. */
  query(filter: AuditQuery): Promise<AuditPage>;
  /** Returns whether the chain (and, given keys, its signed checkpoints) is intact, or where it first breaks. */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /** Writes matching records to `out` with backpressure (does not end it); returns how many. */
  exportRecords(
    options: ExportOptions,
    out: Writable,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<ExportProgress>;
  /** Deletes records older than `before` and anchors the rest of the chain. */
  prune(options: { before: Instant }): Promise<PruneResult>;
  /** Commits pending appends, signs the head if a key is configured, and closes. */
  close(): Promise<void>;
}
