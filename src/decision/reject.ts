import { ForbiddenError, ModelgateError, ReasonCode } from '../errors';
import { authenticationChallenge, schemeOf } from '../identity';
import type { Reservation } from '../usage/usage-tracker';
import { AuditRecordError } from '../audit/audit-errors';
import type { AuditRecordV1 } from '../audit/audit-record';
import { boundRecord } from '../audit/bound-record';
import { buildRecord, type DecisionEnd } from './build-record';
import { storableRecord, withRecordedClaims } from './record-privacy';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { markStage, restartStage } from './decision-observer';

/**
 * Returns the fail-closed reply for an error at any step, after recording it.
 * A 500 never echoes internals; if even the record cannot be written, the reply is 503 audit_unavailable.
 */
export async function reject(
  deps: DecisionDeps,
  call: DecisionCall,
  trace: DecisionTrace,
  error: unknown,
): Promise<DecisionReply> {
  const known = toModelgateError(error);
  if (!(error instanceof ModelgateError))
    deps.logger.error({ err: error, decision_id: call.decisionId }, 'unexpected error');
  if (known.code === ReasonCode.PolicyError) logPolicyFailure(deps, call, trace, known);
  const reasons = [{ code: known.code, message: known.message }];
  const headers: Record<string, string> = {};
  // RFC 6750 section 3.1 (insufficient_scope: a valid token that lacks the scope the resource needs), RFC 9449 7.1.
  const challenge = authenticationChallenge(known, {
    scheme: schemeOf(call.credentials.authorization),
    dpopAlgorithms: deps.authenticator.dpopAlgorithms,
    scope: (known instanceof ForbiddenError && known.scope) || deps.auditorScope,
  });
  if (challenge) headers['www-authenticate'] = challenge;
  if (known.retryAfterSeconds !== undefined) headers['retry-after'] = String(known.retryAfterSeconds);
  const body: Record<string, unknown> = {
    decision_id: call.decisionId,
    allow: false,
    reasons,
    obligations: [],
  };
  if (known.details !== undefined) body.errors = known.details;
  if (trace.policy) body.policy = policyRef(trace, deps.entrypoint);

  // Nobody can be held to a request without a verified token: a flood of them is counted, not stored row by row.
  // That includes 503 keys_unavailable: any forged token naming an issuer whose key set is down gets it.
  const anonymousFlood =
    (known.status >= 400 && known.status < 500) || known.code === ReasonCode.KeysUnavailable;
  if (!trace.identity && anonymousFlood && deps.rejections) {
    const admission = deps.rejections.admit({
      clientAddress: call.clientAddress,
      reason: known.code,
      status: known.status,
      path: call.path,
      atMs: call.receivedAtMs,
    });
    if (!admission.individual) {
      return { status: known.status, body: { ...body, decision_id: admission.decisionId }, headers };
    }
  }

  const unrecorded = await recordOrUnavailable(deps, call, trace, {
    outcome: 'rejected',
    status: known.status,
    reasons,
    obligations: [],
    maxTokens: null,
  });
  return unrecorded ?? { status: known.status, body, headers };
}

/**
 * Records the decision; returns undefined once it is durable, or the 503 to answer instead (after
 * releasing the reservation the decision made, if any). The one way every path records.
 */
export async function recordOrUnavailable(
  deps: DecisionDeps,
  call: DecisionCall,
  trace: DecisionTrace,
  end: DecisionEnd,
  reservation?: Reservation,
): Promise<DecisionReply | undefined> {
  // Bounding and screening what the caller controls (storableRecord) is the recorder's: on SQLite the writer
  // thread does it. Only the claims are settled here, where the identity and its cached hashes are.
  let record = withRecordedClaims(buildRecord(call, trace, end, deps.now()), trace.identity);
  restartStage(trace);
  try {
    const changed = await appendOrReduce(deps, record, (r) => deps.recorder.appendDecision(r));
    if (changed) record = { ...record, ...changed };
  } catch (err) {
    reservation?.release();
    markStage(trace, 'record');
    deps.observer?.decided({ call, trace, record: unrecordedView(deps, record), recorded: false });
    return auditUnavailable(deps, call, err);
  }
  reservation?.recorded?.();
  markStage(trace, 'record');
  deps.observer?.decided({ call, trace, record, recorded: true });
  return undefined;
}

// No store made this record storable, so the observers (the decision's log line) get it made so here: a refused
// decision must not log what a recorded one would have had redacted. Rare, so its cost on the event loop is moot.
function unrecordedView(deps: DecisionDeps, record: AuditRecordV1): AuditRecordV1 {
  try {
    return storableRecord(record, deps.recordPreparation).record;
  } catch {
    return { ...record, model: null, provider: null, operation: null, purpose: null, input: null };
  }
}

// A record the log refuses (a bug: boundRecord keeps every field storable) is still recorded, without
// the documents, so the reply is never unrecorded; only a storage fault is a 503.
async function appendOrReduce<T>(
  deps: DecisionDeps,
  record: AuditRecordV1,
  append: (record: AuditRecordV1) => Promise<T>,
): Promise<T> {
  try {
    return await append(record);
  } catch (err) {
    if (!(err instanceof AuditRecordError)) throw err;
    deps.logger.error(
      { err, decision_id: record.decision_id },
      'audit record refused; recording it without input and result',
    );
    return await append({
      ...record,
      input: null,
      result: null,
      obligations: [],
      reasons: [...record.reasons.slice(0, 255), ReasonCode.AuditRecordReduced],
    });
  }
}

/** Records the counted anonymous rejections of the minutes that ended (all of them when `all`, at shutdown). */
export async function recordCountedRejections(deps: DecisionDeps, all = false): Promise<void> {
  const records = deps.rejections?.drain(deps.now(), all) ?? [];
  await Promise.all(
    records.map((record) =>
      appendOrReduce(deps, boundRecord(record, deps.recordPreparation.limits), (r) =>
        deps.recorder.append(r),
      ).catch((err: unknown) =>
        deps.logger.error({ err, decision_id: record.decision_id }, 'could not record counted rejections'),
      ),
    ),
  );
}

/** Returns the 503 reply for a decision that could not be recorded: never an unrecorded allow. */
function auditUnavailable(deps: DecisionDeps, call: DecisionCall, err: unknown): DecisionReply {
  deps.logger.error({ err, decision_id: call.decisionId }, 'audit log unavailable: decision denied');
  return {
    status: 503,
    headers: { 'retry-after': '1' },
    body: {
      decision_id: call.decisionId,
      allow: false,
      reasons: [{ code: ReasonCode.AuditUnavailable, message: 'the audit log cannot record decisions' }],
      obligations: [],
    },
  };
}

/** Returns the `policy` field of a reply. */
export function policyRef(trace: DecisionTrace, entrypoint: string): Record<string, string> | undefined {
  if (!trace.policy) return undefined;
  return { bundle: trace.policy.bundle, revision: trace.policy.revision, entrypoint };
}

// The reply and the record say only policy_error; the policy's author needs the evaluator's own words (OPA's WASM
// errors name the Rego file, row and column: "gate.rego:6:1: var assignment conflict"), so the log carries them.
function logPolicyFailure(
  deps: DecisionDeps,
  call: DecisionCall,
  trace: DecisionTrace,
  error: ModelgateError,
): void {
  const cause = error.cause instanceof Error ? error.cause.message : String(error.cause ?? error.message);
  deps.logger.error(
    {
      decision_id: call.decisionId,
      path: call.path,
      bundle: trace.policy?.bundle,
      revision: trace.policy?.revision,
      error: cause.slice(0, 1000),
    },
    'policy evaluation failed',
  );
}

function toModelgateError(error: unknown): ModelgateError {
  if (error instanceof ModelgateError) return error;
  return new ModelgateError(ReasonCode.InternalError, 500, 'internal error');
}
