import type { Approval } from './approval';

/** Returns an approval as approvers and the API see it: finding counts and reasons, never a payload. */
export function approvalSummary(approval: Approval, canDecide: boolean): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: approval.id,
    status: approval.status,
    created_at: iso(approval.createdMs),
    expires_at: iso(approval.expiresMs),
    request_decision_id: approval.requestDecisionId,
    requester: approval.requester,
    invocation: approval.invocation,
    context: approval.context,
    findings: approval.findings,
    reasons: approval.reasons,
    approvers: approval.approvers,
    max_uses: approval.maxUses,
    uses_left: approval.usesLeft,
    ttl_seconds: approval.ttlSeconds,
    decided_by: approval.decidedBy,
    decided_at: iso(approval.decidedMs),
    comment: approval.comment,
    can_decide: canDecide,
  };
}
