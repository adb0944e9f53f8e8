import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import { validateDecideRequest } from '../schemas/validators';
import { redactPayload, screenPayload } from '../screening';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { evaluatePolicy } from './evaluate-policy';
import { enforceObligations } from './obligations';
import { buildPolicyInput } from './policy-input';
import { policyRef, recordOrUnavailable, reject } from './reject';
import { authenticate, readBody, requirePolicy } from './steps';
import type { Reservation } from '../usage/usage-tracker';

/**
 * Returns the reply to POST /v1/decide: the full decision path of docs/architecture.md.
 * Every exit, allowed, denied or rejected, is recorded before the reply is returned.
 */
export async function decide(deps: DecisionDeps, call: DecisionCall): Promise<DecisionReply> {
  const trace: DecisionTrace = {};
  try {
    const identity = await authenticate(deps, call);
    trace.identity = identity;
    const request = readBody(deps, call, validateDecideRequest);
    trace.invocation = request.invocation;
    const screening = screenPayload(request.payload ?? {}, { maxChars: deps.screening.maxChars });
    const engine = requirePolicy(deps, deps.entrypoint);
    trace.policy = engine.info;

    // From the usage read to the reservation nothing awaits: on one event loop this makes
    // read-decide-reserve atomic, so concurrent requests cannot spend the same budget twice. A
    // shared tracker (several replicas) also holds the subject's lock in the database meanwhile.
    const nowMs = deps.now();
    const held = deps.usage.lock
      ? await deps.usage.lock(identity.subject.id, request.invocation.model, nowMs)
      : undefined;
    let reservation: Reservation | undefined;
    let enforced: ReturnType<typeof enforceObligations>;
    try {
      const usage = deps.usage.snapshot(identity.subject.id, request.invocation.model, nowMs);
      const input = buildPolicyInput({
        subject: identity.subject,
        request,
        payload: screening,
        usage,
        nowMs,
      });
      trace.input = input;
      const verdict = evaluatePolicy(engine, input, deps.entrypoint);
      trace.result = verdict.raw;
      enforced = enforceObligations(verdict.decision, request.invocation.max_tokens);
      reservation = enforced.allow
        ? deps.usage.reserve({
            decisionId: call.decisionId,
            subject: identity.subject.id,
            model: request.invocation.model,
            tokens: reservedTokens(request, enforced.maxTokens),
            atMs: nowMs,
          })
        : undefined;
    } finally {
      if (held) await held.end();
    }

    const unrecorded = await recordOrUnavailable(
      deps,
      call,
      trace,
      {
        outcome: enforced.allow ? 'allowed' : 'denied',
        status: 200,
        reasons: enforced.reasons,
        obligations: enforced.obligations,
        maxTokens: enforced.maxTokens,
      },
      reservation,
    );
    if (unrecorded) return unrecorded;

    const body: Record<string, unknown> = {
      decision_id: call.decisionId,
      allow: enforced.allow,
      reasons: enforced.reasons,
      obligations: enforced.obligations,
      max_tokens: enforced.maxTokens,
      policy: policyRef(trace, deps.entrypoint),
    };
    if (enforced.allow && request.payload !== undefined) {
      body.redacted_payload = redactPayload(
        request.payload,
        screening,
        enforced.redactClasses,
        deps.screening.redactionFormat,
      );
    }
    return { status: 200, body, headers: {} };
  } catch (err) {
    return reject(deps, call, trace, err);
  }
}

// What an allowed call may spend: its output limit plus the input it declared. With no
// limit at all the reservation is only the input; the usage report settles the real figure.
function reservedTokens(request: DecideRequestV1, maxTokens: number | null): number {
  return (maxTokens ?? 0) + (request.invocation.input_tokens ?? 0);
}
