import type { AuditRecordV1 } from '../audit/audit-record';
import type { Approval, ApprovalStatus } from './approval';
import type { ApprovalRow } from './approval-row';

/** A human's verdict on a pending approval. */
export interface ApprovalVerdict {
  status: 'approved' | 'denied';
  by: string;
  atMs: number;
  comment: string | null;
  /** For an approval: when the grant expires. */
  expiresMs: number;
}

/**
 * A change of approval state to make in the transaction of its audit record: a verdict on a pending approval,
 * a new pending approval (with its subject's pending limit), or the expiry of an overdue one. Plain data: it crosses to the writer thread.
 */
export type ApprovalChange =
  | { kind: 'verdict'; id: string; verdict: ApprovalVerdict }
  | { kind: 'create'; row: ApprovalRow; maxPending: number }
  | { kind: 'expire'; id: string; nowMs: number };

/** An audit log that can make an approval change in the same transaction as its record (ThreadedAuditStore). */
export interface ApprovalLog {
  /** Resolves once both are committed; rejects with RecordConditionError, writing neither, when it cannot be made. */
  appendWithChange(record: AuditRecordV1, change: ApprovalChange): Promise<void>;
}

/** What createPending did: created it, found one already pending for its binding, or refused it at the limit. */
export type CreatedPending = { approval: Approval; created: boolean } | { approval: null; created: false };

/** Filters for list(); newest first. */
export interface ApprovalFilter {
  status?: ApprovalStatus;
  limit: number;
  /** Only approvals after this one in the list's order (older, or as old with a smaller id): the next page. */
  after?: ApprovalPosition;
}

/** Where an approval sits in the list's order (newest first): its creation time, then its id. */
export interface ApprovalPosition {
  createdMs: number;
  id: string;
}

/**
 * Where approvals live. Every change is a compare-and-set on the status, so two approvers (or two
 * replicas) cannot both decide one request and two callers cannot spend the same use.
 * Implemented by SqliteApprovalStore; a PostgreSQL store goes behind the same interface.
 */
export interface ApprovalStore {
  /** Returns the approval, or null. */
  get(id: string): Promise<Approval | null>;
  /** Returns the pending approval for a binding, or null. */
  findPending(binding: string): Promise<Approval | null>;
  /**
   * Stores a new pending approval; if one is already pending for its binding, returns that one (created:
   * false). Creates none when its requester (subject and issuer) already has `maxPendingOfSubject` approvals
   * pending and in time (approval: null): the check and the insert are one step, so concurrent requests
   * cannot pass the limit together.
   */
  createPending(approval: Approval, maxPendingOfSubject?: number): Promise<CreatedPending>;
  /**
   * createPending together with the `requested` record, in one transaction: the record is written only when the
   * approval is created. ApprovalService creates approvals only this way.
   */
  createRecorded(
    approval: Approval,
    maxPendingOfSubject: number,
    record: AuditRecordV1,
  ): Promise<CreatedPending>;
  /** Returns approvals, newest first. */
  list(filter: ApprovalFilter): Promise<Approval[]>;
  /** Pending -> approved/denied; false when it was no longer pending. */
  decide(id: string, verdict: ApprovalVerdict): Promise<boolean>;
  /**
   * Pending -> approved/denied together with the verdict's audit record, in one transaction: both are written or
   * neither is, whatever fails or crashes meanwhile. False, with nothing written, when it was no longer pending.
   * ApprovalService decides approvals only this way.
   */
  decideRecorded(id: string, verdict: ApprovalVerdict, record: AuditRecordV1): Promise<boolean>;
  /** Spends one use of an approved, unexpired grant; returns the uses left, or null if none could be spent. */
  consume(id: string, nowMs: number): Promise<number | null>;
  /** Pending or approved -> expired, when past its time; false when it was not. */
  expire(id: string, nowMs: number): Promise<boolean>;
  /** expire() together with the `expired` record, in one transaction; false, with nothing written, when it was not due. */
  expireRecorded(id: string, nowMs: number, record: AuditRecordV1): Promise<boolean>;
  /** Returns pending or approved approvals past their time (at most `limit`). */
  due(nowMs: number, limit: number): Promise<Approval[]>;
}
