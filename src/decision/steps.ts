import { ReasonCode, RequestError, UnavailableError } from '../errors';
import type { VerifiedIdentity } from '../identity';
import { PolicyEvaluationError, type EvaluationOptions, type PolicyEngine } from '../policy/policy-engine';
import { checkBodyLimits } from '../schemas/body-limits';
import type { Validator } from '../schemas/validators';
import type { DecisionCall, DecisionDeps } from './decision-deps';

/** Returns the verified identity of the caller (token, and DPoP proof for a bound token), or throws (401, 503). */
export function authenticate(deps: DecisionDeps, call: DecisionCall): Promise<VerifiedIdentity> {
  return deps.authenticator.authenticate(call.credentials);
}

/** Returns the body checked against the structural limits and the schema, or throws RequestError (4xx). */
export function readBody<T>(deps: DecisionDeps, call: DecisionCall, validate: Validator<T>): T {
  if (!call.body.ok) throw call.body.error;
  const body = call.body.value;
  const tooBig = checkBodyLimits(body, deps.bodyLimits);
  if (tooBig) {
    throw new RequestError(
      ReasonCode.BodyTooDeep,
      400,
      `the body is too deeply nested or too long: ${tooBig.message}`,
      {
        details: [tooBig],
      },
    );
  }
  if (!validate(body)) {
    const problems = validate.problems(body);
    const summary = problems
      .slice(0, 3)
      .map((p) => `${p.pointer} ${p.message}`)
      .join('; ');
    throw new RequestError(ReasonCode.BodyInvalid, 400, `the body is invalid: ${summary}`, {
      details: problems,
    });
  }
  return body;
}

/** Returns the loaded policy (with that entrypoint, when given), or throws UnavailableError `policy_unavailable` (503). */
export function requirePolicy(deps: DecisionDeps, entrypoint?: string): PolicyEngine {
  const engine = deps.policy.current();
  if (!engine) throw new UnavailableError(ReasonCode.PolicyUnavailable, 'no policy bundle is loaded');
  if (entrypoint !== undefined && !engine.hasEntrypoint(entrypoint)) {
    throw new UnavailableError(
      ReasonCode.PolicyUnavailable,
      `the loaded bundle has no entrypoint ${entrypoint} (it has: ${engine.info.entrypoints.join(', ')})`,
    );
  }
  return engine;
}

/** Returns the entrypoint's result, or throws UnavailableError `policy_error` (503) when evaluation fails. */
export function evaluateOrThrow(
  engine: PolicyEngine,
  input: unknown,
  entrypoint: string,
  options?: EvaluationOptions,
): unknown {
  try {
    return engine.evaluate(input, entrypoint, options);
  } catch (err) {
    if (err instanceof PolicyEvaluationError) {
      throw new UnavailableError(ReasonCode.PolicyError, 'the policy failed to evaluate', { cause: err });
    }
    throw err;
  }
}
