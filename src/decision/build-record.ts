import type { AuditRecordV1 } from '../audit/audit-record';
import type { ObligationV1, ReasonV1 } from '../schemas/decision-document.schema';
import type { DecisionCall } from './decision-deps';
import type { DecisionTrace } from './decision-trace';

/** The end of one decision, as the audit log keeps it. */
export interface DecisionEnd {
  outcome: AuditRecordV1['outcome'];
  status: number;
  reasons: ReasonV1[];
  obligations: ObligationV1[];
  maxTokens: number | null;
}

/** Returns the audit record of one decision; the raw token and payload are never part of it. */
export function buildRecord(
  call: DecisionCall,
  trace: DecisionTrace,
  end: DecisionEnd,
  nowMs: number,
): AuditRecordV1 {
  const subject = trace.identity?.subject;
  const actor = subject?.actor?.sub;
  const invocation = trace.invocation;
  return {
    decision_id: call.decisionId,
    timestamp: new Date(call.receivedAtMs).toISOString(),
    path: call.path,
    outcome: end.outcome,
    status: end.status,
    subject: subject?.id ?? null,
    issuer: subject?.issuer ?? null,
    actor: typeof actor === 'string' ? actor : null,
    token_id: trace.identity?.tokenId ?? null,
    model: invocation?.model ?? null,
    provider: invocation?.provider ?? null,
    operation: invocation?.operation ?? null,
    purpose: invocation?.purpose ?? null,
    input: trace.input ?? null,
    result: trace.result ?? null,
    reasons: end.reasons.map((r) => r.code),
    obligations: end.obligations,
    max_tokens: end.maxTokens,
    bundle: trace.policy ? { name: trace.policy.bundle, revision: trace.policy.revision } : null,
    latency_ms: Math.max(0, nowMs - call.receivedAtMs),
    client_address: call.clientAddress,
  };
}
