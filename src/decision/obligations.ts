import { ReasonCode } from '../errors';
import type { DecisionV1, ObligationV1, ReasonV1 } from '../schemas/decision-document.schema';

/** A policy decision after modelgate applied the obligations it knows. */
export interface EnforcedDecision {
  allow: boolean;
  reasons: ReasonV1[];
  obligations: ObligationV1[];
  /** Effective output limit: min(request max_tokens, every cap_tokens); null when neither sets one. */
  maxTokens: number | null;
  /** Classes named by redact obligations, to mask in the payload. */
  redactClasses: string[];
}

/**
 * Returns the decision with known obligations enforced:
 * - cap_tokens lowers the effective max_tokens;
 * - require_approval turns an allow into a deny `approval_required` (the approval workflow then
 *   attaches the pending approval, see approval-steps.ts);
 * - redact collects the classes to mask;
 * unknown obligation types pass through untouched.
 */
export function enforceObligations(
  decision: DecisionV1,
  requestedMaxTokens: number | undefined,
): EnforcedDecision {
  const obligations = decision.obligations ?? [];
  const reasons = [...(decision.reasons ?? [])];
  let allow = decision.allow;

  let maxTokens = requestedMaxTokens ?? null;
  const redactClasses = new Set<string>();
  for (const obligation of obligations) {
    if (obligation.type === 'cap_tokens') {
      const cap = obligation.max_tokens as number;
      maxTokens = maxTokens === null ? cap : Math.min(maxTokens, cap);
    } else if (obligation.type === 'redact') {
      for (const c of obligation.classes as string[]) redactClasses.add(c);
    }
  }

  const approvals = obligations.filter((o) => o.type === 'require_approval');
  if (allow && approvals.length > 0) {
    allow = false;
    for (const approval of approvals) {
      reasons.push({
        code: ReasonCode.ApprovalRequired,
        message: typeof approval.reason === 'string' ? approval.reason : 'a human approval is required',
      });
    }
  }
  // A cap of zero leaves nothing to generate: that is a deny, not an allow with max_tokens 0.
  if (allow && maxTokens !== null && maxTokens < 1) {
    allow = false;
    reasons.push({
      code: ReasonCode.TokenCapZero,
      message: 'a cap_tokens obligation leaves no output tokens',
    });
  }
  return {
    allow,
    reasons,
    obligations,
    maxTokens: allow ? maxTokens : null,
    redactClasses: [...redactClasses],
  };
}
