import { newDecisionId } from '../audit/decision-id';
import { ReasonCode, RequestError } from '../errors';
import type { VerifiedIdentity } from '../identity';
import type { PolicyEngine } from '../policy/policy-engine';
import {
  authzenEvaluationSchema,
  authzenEvaluationsSchema,
  type AuthzenEvaluationV1,
  type AuthzenEvaluationsV1,
} from '../schemas/authzen.schema';
import { compileValidator } from '../schemas/validators';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { evaluatePolicy } from './evaluate-policy';
import { enforceObligations } from './obligations';
import { recordOrUnavailable, reject } from './reject';
import { authenticate, readBody, requirePolicy } from './steps';

const validateEvaluation = compileValidator<AuthzenEvaluationV1>(authzenEvaluationSchema);
const validateEvaluations = compileValidator<AuthzenEvaluationsV1>(authzenEvaluationsSchema);

/** The entrypoint that answers AuthZEN evaluations unless the config names another. */
export const DEFAULT_AUTHZEN_ENTRYPOINT = 'authzen/decision';

/** One AuthZEN decision as the wire carries it. */
export interface AuthzenDecision {
  decision: boolean;
  context: Record<string, unknown>;
}

/** What the AuthZEN endpoints are configured with. */
export interface AuthzenOptions {
  /** The policy entrypoint that answers AuthZEN evaluations, e.g. `authzen/decision`. */
  entrypoint: string;
}

/**
 * Returns the reply to POST /access/v1/evaluation: authenticate the caller (the PEP), validate,
 * evaluate the AuthZEN entrypoint, record, reply `{decision, context}`. Every exit is recorded.
 */
export async function evaluateAccess(
  deps: DecisionDeps,
  call: DecisionCall,
  options: AuthzenOptions,
): Promise<DecisionReply> {
  const trace: DecisionTrace = {};
  try {
    const identity = await authenticate(deps, call);
    trace.identity = identity;
    const request = readBody(deps, call, validateEvaluation);
    const engine = requirePolicy(deps, options.entrypoint);
    trace.policy = engine.info;
    const one = await decideOne({ deps, call, engine, identity, options }, request, call.decisionId);
    if ('unavailable' in one) return one.unavailable;
    return { status: 200, body: { ...one.decision }, headers: {} };
  } catch (err) {
    return reject(deps, call, trace, err);
  }
}

/**
 * Returns the reply to POST /access/v1/evaluations (AuthZEN 1.0 section 7): top-level members are
 * defaults for each item; items run in order under `options.evaluations_semantic`, and a
 * short-circuiting semantic stops (and records nothing more) after the deciding item. Without items
 * the request is a single evaluation and the reply a single decision. Each evaluation is its own
 * decision with its own id and audit record; an error that concerns the whole request is recorded once.
 */
export async function evaluateAccessBatch(
  deps: DecisionDeps,
  call: DecisionCall,
  options: AuthzenOptions,
): Promise<DecisionReply> {
  const trace: DecisionTrace = {};
  try {
    const identity = await authenticate(deps, call);
    trace.identity = identity;
    const request = readBody(deps, call, validateEvaluations);
    const items = request.evaluations ?? [];
    const requests =
      items.length === 0
        ? [withDefaults(request, {}, -1)]
        : items.map((item, i) => withDefaults(request, item, i));
    const engine = requirePolicy(deps, options.entrypoint);
    trace.policy = engine.info;
    const context = { deps, call, engine, identity, options };
    if (items.length === 0) {
      const one = await decideOne(context, requests[0]!, call.decisionId);
      if ('unavailable' in one) return one.unavailable;
      return { status: 200, body: { ...one.decision }, headers: {} };
    }

    const semantic = request.options?.evaluations_semantic ?? 'execute_all';
    const evaluations: AuthzenDecision[] = [];
    for (const item of requests) {
      // Each item gets an id of its own; the request's id stays free for recording a failure of the
      // whole request (a policy error at item k, after items before it were recorded).
      const one = await decideOne(context, item, newDecisionId());
      if ('unavailable' in one) return one.unavailable;
      evaluations.push(one.decision);
      if (semantic === 'deny_on_first_deny' && !one.decision.decision) break;
      if (semantic === 'permit_on_first_permit' && one.decision.decision) break;
    }
    return { status: 200, body: { evaluations }, headers: {} };
  } catch (err) {
    return reject(deps, call, trace, err);
  }
}

// An item's subject, action, resource and context replace the defaults whole (section 7.1.1);
// what is still missing afterwards is a 400 for the whole request, as the spec requires.
function withDefaults(
  request: AuthzenEvaluationsV1,
  item: Partial<AuthzenEvaluationV1>,
  index: number,
): AuthzenEvaluationV1 {
  const merged: Record<string, unknown> = {};
  for (const key of ['subject', 'action', 'resource', 'context'] as const) {
    const value = item[key] ?? request[key];
    if (value !== undefined) merged[key] = value;
  }
  if (!validateEvaluation(merged)) {
    const where = index < 0 ? '' : `/evaluations/${index}`;
    const problems = validateEvaluation
      .problems(merged)
      .map((p) => ({ ...p, pointer: `${where}${p.pointer}` }));
    const summary = problems
      .slice(0, 3)
      .map((p) => `${p.pointer} ${p.message}`)
      .join('; ');
    throw new RequestError(
      ReasonCode.BodyInvalid,
      400,
      `the body is invalid: ${summary} (neither the evaluation nor the top level gives it)`,
      { details: problems },
    );
  }
  return merged;
}

interface OneContext {
  deps: DecisionDeps;
  call: DecisionCall;
  engine: PolicyEngine;
  identity: VerifiedIdentity;
  options: AuthzenOptions;
}

/**
 * Evaluates one access request and records it under `decisionId`; returns the AuthZEN decision, or
 * the 503 to answer when the record cannot be written. The policy sees the AuthZEN request as
 * `subject`, `action`, `resource`, `context`, and the verified caller (the PEP) as `caller`.
 */
async function decideOne(
  { deps, call, engine, identity, options }: OneContext,
  request: AuthzenEvaluationV1,
  decisionId: string,
): Promise<{ decision: AuthzenDecision } | { unavailable: DecisionReply }> {
  const nowMs = deps.now();
  const input = {
    subject: request.subject,
    action: request.action,
    resource: request.resource,
    context: request.context ?? {},
    caller: identity.subject,
    time: { now: new Date(nowMs).toISOString(), unix_ms: nowMs },
  };
  const trace: DecisionTrace = { identity, policy: engine.info, input };
  const verdict = evaluatePolicy(engine, input, options.entrypoint);
  trace.result = verdict.raw;
  // No model call follows an AuthZEN decision, so no token cap applies; require_approval still denies.
  const enforced = enforceObligations(verdict.decision, undefined);
  const unrecorded = await recordOrUnavailable(deps, { ...call, decisionId }, trace, {
    outcome: enforced.allow ? 'allowed' : 'denied',
    status: 200,
    reasons: enforced.reasons,
    obligations: enforced.obligations,
    maxTokens: null,
  });
  if (unrecorded) return { unavailable: unrecorded };
  const context: Record<string, unknown> = { decision_id: decisionId };
  if (enforced.reasons.length > 0) context.reasons = enforced.reasons;
  // The AuthZEN obligations profile carries obligations in the decision's context.
  if (enforced.obligations.length > 0) context.obligations = enforced.obligations;
  return { decision: { decision: enforced.allow, context } };
}
