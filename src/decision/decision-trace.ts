import type { VerifiedIdentity } from '../identity';
import type { PolicyInfo } from '../policy/policy-engine';
import type { InvocationV1 } from '../schemas/decide-request.schema';
import type { StageTimings } from './decision-observer';

/**
 * What a decision has established so far. Every exit path records from it, so a
 * rejection at any step still carries whatever is known (who, which model, which input).
 */
export interface DecisionTrace {
  identity?: VerifiedIdentity;
  invocation?: InvocationV1;
  input?: unknown;
  result?: unknown;
  policy?: PolicyInfo;
  /** How long each stage took, for metrics and traces (see markStage). */
  stages?: StageTimings;
}
