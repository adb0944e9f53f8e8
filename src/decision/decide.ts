import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import { validateDecideRequest } from '../schemas/validators';
import { callerScope, screenPayload } from '../screening';
import { promptTokens } from '../usage/prompt-tokens';
import { approvalInput } from '../approvals/approval';
import { presentApproval, settleApproval } from './approval-steps';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { evaluatePolicy } from './evaluate-policy';
import { enforceObligations } from './obligations';
import { buildPolicyInput } from './policy-input';
import { readLineage } from './read-lineage';
import { redactForReply } from './redact-for-reply';
import { policyRef, recordOrUnavailable, reject } from './reject';
import { authenticate, readBody, requirePolicy } from './steps';
import { markStage, startStages } from './decision-observer';
import type { Reservation } from '../usage/usage-tracker';

/**
 * Returns the reply to POST /v1/decide: the full decision path of docs/architecture.md.
 * Every exit, allowed, denied or rejected, is recorded before the reply is returned.
 */
export async function decide(deps: DecisionDeps, call: DecisionCall): Promise<DecisionReply> {
  const trace: DecisionTrace = { stages: startStages() };
  try {
    const identity = await authenticate(deps, call);
    trace.identity = identity;
    markStage(trace, 'identity');
    const request = readBody(deps, call, validateDecideRequest);
    trace.invocation = request.invocation;
    const lineage = await readLineage(deps, call, identity.subject, request);
    markStage(trace, 'validate');
    const payload = request.payload ?? {};
    const screenOptions = { maxChars: deps.screening.maxChars };
    const screening = deps.screening.pool
      ? await deps.screening.pool.screen(payload, {
          ...screenOptions,
          scope: callerScope(identity.subject.issuer, identity.subject.id),
        })
      : screenPayload(payload, screenOptions);
    markStage(trace, 'screen');
    const engine = requirePolicy(deps, deps.entrypoint);
    trace.policy = engine.info;
    const approval = await presentApproval(deps, identity, request);

    // From the usage read to the reservation nothing awaits: on one event loop this makes
    // read-decide-reserve atomic, so concurrent requests cannot spend the same budget twice. A
    // shared tracker (several replicas) also holds the subject's lock in the database meanwhile.
    const nowMs = deps.now();
    const held = deps.usage.lock
      ? await deps.usage.lock(identity.subject.id, request.invocation.model, nowMs)
      : undefined;
    let reservation: Reservation | undefined;
    let policyEnforced: ReturnType<typeof enforceObligations>;
    try {
      const usage = deps.usage.snapshot(identity.subject.id, request.invocation.model, nowMs);
      markStage(trace, 'usage');
      const input = buildPolicyInput({
        subject: identity.subject,
        request,
        payload: screening,
        usage,
        nowMs,
        approval: approval?.presented && approvalInput(approval.presented),
        lineage,
      });
      trace.input = input;
      const verdict = evaluatePolicy(engine, input, deps.entrypoint);
      trace.result = verdict.raw;
      policyEnforced = enforceObligations(verdict.decision, request.invocation.max_tokens);
      reservation = policyEnforced.allow
        ? deps.usage.reserve({
            decisionId: call.decisionId,
            subject: identity.subject.id,
            model: request.invocation.model,
            tokens: reservedTokens(request, policyEnforced.maxTokens, screening.chars),
            atMs: nowMs,
          })
        : undefined;
    } finally {
      if (held) await held.end();
    }
    // Before an approval is spent or the decision recorded: a redaction that fails is a recorded deny.
    const redacted = await redactForReply(deps.screening, request.payload, screening, {
      enforced: policyEnforced,
      reservation,
    });
    // After the reservation (and the subject's lock): settling an approval awaits its store.
    const settled = await settleApproval(deps, call, {
      context: approval,
      identity,
      screening,
      enforced: policyEnforced,
      reservation,
    });
    const enforced = settled.enforced;
    markStage(trace, 'evaluate');

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
      enforced.allow ? reservation : undefined,
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
    if (settled.ref) body.approval = settled.ref;
    if (enforced.allow && redacted) body.redacted_payload = redacted.payload;
    return { status: 200, body, headers: {} };
  } catch (err) {
    return reject(deps, call, trace, err);
  }
}

// What an allowed call may spend: its output limit plus its prompt (promptTokens). With no
// limit at all the reservation is only the prompt; the usage report settles the real figure.
function reservedTokens(request: DecideRequestV1, maxTokens: number | null, payloadChars: number): number {
  return (maxTokens ?? 0) + promptTokens(request.invocation.input_tokens, payloadChars);
}
