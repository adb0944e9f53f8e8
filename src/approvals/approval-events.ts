import type { AuditRecordV1 } from '../audit/audit-record';
import { ReasonCode } from '../errors';
import type { Approval } from './approval';

/** The steps of an approval's life that the audit log records. */
export type ApprovalEvent = 'requested' | 'approved' | 'denied' | 'used' | 'expired';

const EVENTS: Record<ApprovalEvent, { outcome: AuditRecordV1['outcome']; reason: string; path: string }> = {
  requested: { outcome: 'denied', reason: ReasonCode.ApprovalRequested, path: 'requested' },
  approved: { outcome: 'allowed', reason: ReasonCode.ApprovalGranted, path: 'approve' },
  denied: { outcome: 'denied', reason: ReasonCode.ApprovalDenied, path: 'deny' },
  used: { outcome: 'allowed', reason: ReasonCode.ApprovalUsed, path: 'use' },
  expired: { outcome: 'denied', reason: ReasonCode.ApprovalExpired, path: 'expire' },
};

/** Who caused an event: the requester, an approver, or nobody (expiry). */
export interface EventActor {
  subject: string;
  issuer: string;
  actor: string | null;
  tokenId: string | null;
}

/** One approval event, to be written as an audit record. */
export interface ApprovalEventParts {
  event: ApprovalEvent;
  approval: Approval;
  /** The record's own id (for approve/deny: the id of the HTTP call). */
  recordId: string;
  /** The decision this event belongs to: the one that asked (requested) or the one it allowed (used). */
  decisionId: string;
  actor: EventActor | null;
  atMs: number;
  latencyMs: number;
  clientAddress: string | null;
}

/**
 * Returns the audit record of an approval event. It sits in the same hash chain as decisions, on the
 * path /v1/approvals/{id}/<event>, and its `result.approval` links the approval to the decision ids
 * it belongs to. It never holds the payload, only the finding counts the approver saw.
 */
export function approvalEventRecord(parts: ApprovalEventParts): AuditRecordV1 {
  const { approval, event, actor } = parts;
  const kind = EVENTS[event];
  return {
    decision_id: parts.recordId,
    timestamp: new Date(parts.atMs).toISOString(),
    path: `/v1/approvals/${approval.id}/${kind.path}`,
    outcome: kind.outcome,
    status: 200,
    subject: actor?.subject ?? null,
    issuer: actor?.issuer ?? null,
    actor: actor?.actor ?? null,
    token_id: actor?.tokenId ?? null,
    model: approval.invocation.model,
    provider: approval.invocation.provider ?? null,
    operation: approval.invocation.operation,
    purpose: approval.invocation.purpose ?? null,
    input: null,
    result: {
      approval: {
        event,
        id: approval.id,
        decision_id: parts.decisionId,
        request_decision_id: approval.requestDecisionId,
        requester: approval.requester,
        status: approval.status,
        approvers: approval.approvers,
        expires_at: new Date(approval.expiresMs).toISOString(),
        uses_left: approval.usesLeft,
        decided_by: approval.decidedBy,
        comment: approval.comment,
      },
    },
    reasons: [kind.reason],
    obligations: [],
    max_tokens: null,
    bundle: null,
    latency_ms: Math.max(0, parts.latencyMs),
    client_address: parts.clientAddress,
  };
}
