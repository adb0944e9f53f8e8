import { evaluatePolicy } from '../decision/evaluate-policy';
import { enforceObligations } from '../decision/obligations';
import { ModelgateError, ReasonCode } from '../errors';
import type { PolicyEngine } from '../policy/policy-engine';
import type { ObligationV1 } from '../schemas/decision-document.schema';

/** What one bundle decides for one recorded input, after modelgate's own enforcement. */
export interface ReplayOutcome {
  allow: boolean;
  /** Reason codes, sorted. */
  reasons: string[];
  obligations: ObligationV1[];
  maxTokens: number | null;
}

/**
 * Returns the outcome `engine` gives the recorded input, exactly as /v1/decide would enforce it
 * (require_approval and a zero cap deny), failing closed: an evaluation error is a deny
 * `policy_error`, as it is in production.
 */
export function replayOutcome(
  engine: PolicyEngine,
  input: unknown,
  entrypoint: string,
  requestedMaxTokens: number | undefined,
): ReplayOutcome {
  try {
    const verdict = evaluatePolicy(engine, input, entrypoint);
    const enforced = enforceObligations(verdict.decision, requestedMaxTokens);
    return {
      allow: enforced.allow,
      reasons: [...new Set(enforced.reasons.map((r) => r.code))].sort(),
      obligations: enforced.allow ? enforced.obligations : [],
      maxTokens: enforced.maxTokens,
    };
  } catch (err) {
    if (!(err instanceof ModelgateError)) throw err;
    return { allow: false, reasons: [ReasonCode.PolicyError], obligations: [], maxTokens: null };
  }
}
