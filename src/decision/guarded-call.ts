import { ForbiddenError, ReasonCode } from '../errors';
import type { VerifiedIdentity } from '../identity';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { recordOrUnavailable, reject } from './reject';
import { authenticate } from './steps';

/** What a guarded handler is told about its caller. */
export interface Caller {
  identity: VerifiedIdentity;
  /** Whether the caller holds the auditor scope. */
  isAuditor: boolean;
  /** Sets the record's `input`: what the call asked for, kept in the hash chain whatever its outcome. */
  recordInput(input: unknown): void;
}

/**
 * Returns the reply of an API call other than a decision (audit reads, usage): the caller is
 * authenticated, must hold the auditor scope when `auditorOnly`, and every outcome, including a
 * 403, is recorded in the audit log like a decision, because reading the log is itself an access event.
 */
export async function guardedCall(
  deps: DecisionDeps,
  call: DecisionCall,
  options: { auditorOnly: boolean },
  handler: (caller: Caller) => Promise<{ status?: number; body: Record<string, unknown> }>,
): Promise<DecisionReply> {
  const trace: DecisionTrace = {};
  try {
    const identity = await authenticate(deps, call);
    trace.identity = identity;
    const isAuditor = identity.subject.scopes.includes(deps.auditorScope);
    if (options.auditorOnly && !isAuditor) {
      throw new ForbiddenError(ReasonCode.ScopeMissing, `this needs the ${deps.auditorScope} scope`);
    }
    const recordInput = (input: unknown) => {
      trace.input = input;
    };
    const { status = 200, body } = await handler({ identity, isAuditor, recordInput });
    const unrecorded = await recordOrUnavailable(deps, call, trace, {
      outcome: 'allowed',
      status,
      reasons: [],
      obligations: [],
      maxTokens: null,
    });
    return unrecorded ?? { status, body: { ...body, decision_id: call.decisionId }, headers: {} };
  } catch (err) {
    return reject(deps, call, trace, err);
  }
}
