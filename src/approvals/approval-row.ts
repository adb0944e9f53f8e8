import type { Approval, ApprovalStatus } from './approval';
import type { ApprovalFilter } from './approval-store';

/** One approvals row as both stores read and write it: JSON columns as text, times in epoch ms. */
export type ApprovalRow = {
  id: string;
  binding: string;
  status: ApprovalStatus;
  created_ms: number;
  expires_ms: number;
  request_decision_id: string;
  requester_subject: string;
  requester_issuer: string;
  requester_actor: string | null;
  /** JSON array of the requester's prior actors; `[]` when none. */
  requester_prior_actors: string;
  invocation: string;
  /** JSON of the shown context. */
  context: string;
  findings: string;
  reasons: string;
  approvers: string | null;
  ttl_seconds: number;
  max_uses: number;
  uses_left: number;
  decided_by: string | null;
  decided_ms: number | null;
  comment: string | null;
};

/** The approvals table's columns, in the order both stores insert them. */
export const APPROVAL_COLUMNS = [
  'id',
  'binding',
  'status',
  'created_ms',
  'expires_ms',
  'request_decision_id',
  'requester_subject',
  'requester_issuer',
  'requester_actor',
  'requester_prior_actors',
  'invocation',
  'context',
  'findings',
  'reasons',
  'approvers',
  'ttl_seconds',
  'max_uses',
  'uses_left',
  'decided_by',
  'decided_ms',
  'comment',
] as const satisfies readonly (keyof ApprovalRow)[];

/** Returns the approval a row holds. */
export function fromRow(row: ApprovalRow): Approval {
  return {
    id: row.id,
    binding: row.binding,
    status: row.status,
    createdMs: row.created_ms,
    expiresMs: row.expires_ms,
    requestDecisionId: row.request_decision_id,
    requester: requesterOf(row),
    invocation: JSON.parse(row.invocation) as Approval['invocation'],
    context: JSON.parse(row.context) as unknown,
    findings: JSON.parse(row.findings) as Record<string, number>,
    reasons: JSON.parse(row.reasons) as string[],
    approvers: row.approvers,
    ttlSeconds: row.ttl_seconds,
    maxUses: row.max_uses,
    usesLeft: row.uses_left,
    decidedBy: row.decided_by,
    decidedMs: row.decided_ms,
    comment: row.comment,
  };
}

/** Returns the row that stores an approval. */
export function toRow(approval: Approval): ApprovalRow {
  return {
    id: approval.id,
    binding: approval.binding,
    status: approval.status,
    created_ms: approval.createdMs,
    expires_ms: approval.expiresMs,
    request_decision_id: approval.requestDecisionId,
    requester_subject: approval.requester.subject,
    requester_issuer: approval.requester.issuer,
    requester_actor: approval.requester.actor,
    requester_prior_actors: JSON.stringify(approval.requester.prior_actors ?? []),
    invocation: JSON.stringify(approval.invocation),
    context: JSON.stringify(approval.context ?? {}),
    findings: JSON.stringify(approval.findings),
    reasons: JSON.stringify(approval.reasons),
    approvers: approval.approvers,
    ttl_seconds: approval.ttlSeconds,
    max_uses: approval.maxUses,
    uses_left: approval.usesLeft,
    decided_by: approval.decidedBy,
    decided_ms: approval.decidedMs,
    comment: approval.comment,
  };
}

function requesterOf(row: ApprovalRow): Approval['requester'] {
  const requester = {
    subject: row.requester_subject,
    issuer: row.requester_issuer,
    actor: row.requester_actor,
  };
  const prior = JSON.parse(row.requester_prior_actors) as string[];
  return prior.length === 0 ? requester : { ...requester, prior_actors: prior };
}

/** Returns the position and limit parameters of a list query (ApprovalFilter): no position comes first. */
export function listParams(filter: ApprovalFilter): { created_ms: number; id: string; limit: number } {
  // With the largest time, every approval comes after it, whatever its id.
  return {
    created_ms: filter.after?.createdMs ?? Number.MAX_SAFE_INTEGER,
    id: filter.after?.id ?? '',
    limit: filter.limit,
  };
}
