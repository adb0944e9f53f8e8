import { ReasonCode } from '../errors';
import { compileValidator } from '../schemas/validators';
import { dataRequestSchema, type DataRequestV1 } from '../schemas/data-request.schema';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { enforceObligations } from './obligations';
import { toOpaReply } from './opa-replies';
import { promptTokens } from '../usage/prompt-tokens';
import type { Reservation } from '../usage/usage-tracker';
import { recordOrUnavailable, reject } from './reject';
import { authenticate, evaluateOrThrow, readBody, requirePolicy } from './steps';
import { markStage, startStages } from './decision-observer';
import { MODELGATE_VERSION } from '../version';

const validateDataRequest = compileValidator<DataRequestV1>(dataRequestSchema);

/** OPA's Data API query flags modelgate answers; the others (explain, instrument, pretty) are ignored. */
export interface DataApiFlags {
  /** `?metrics`: the reply's `metrics`, in OPA's names. */
  metrics?: boolean;
  /** `?provenance`: the reply's `provenance`: modelgate's version and the bundle's revision. */
  provenance?: boolean;
}

/** Returns the flags in a Data API request's URL (`metrics`, `metrics=true`; `metrics=false` is off), as OPA reads them. */
export function dataApiFlags(url: string): DataApiFlags {
  const start = url.indexOf('?');
  const query = new URLSearchParams(start < 0 ? '' : url.slice(start + 1));
  const on = (name: string) =>
    query.has(name) && ['', 'true', 't', '1'].includes(query.get(name)!.toLowerCase());
  return { metrics: on('metrics'), provenance: on('provenance') };
}

// OPA's own warning, word for word, for a request that gives no input (OPA clients may show it).
const INPUT_MISSING = { code: 'api_usage_warning', message: "'input' key missing from the request" };

/**
 * Returns the reply to the OPA-compatible `POST /v1/data/{path}`: `{ result, decision_id }` as OPA's
 * server gives it, and OPA's error body (`{code, message, errors}`, plus `decision_id`) on a failure. The caller's input is used, except that `subject`, `usage` and `time` are
 * replaced by modelgate's own verified values and `approval`, `lineage` and `caller` are dropped, so a token can
 * only ever speak for itself.
 * Obligations are not enforced here (the caller gets the policy's document as is), but they are recorded.
 */
export async function decideData(
  deps: DecisionDeps,
  call: DecisionCall,
  policyPath: string,
  flags: DataApiFlags = {},
): Promise<DecisionReply> {
  return toOpaReply(await evaluateData(deps, call, policyPath, flags));
}

async function evaluateData(
  deps: DecisionDeps,
  call: DecisionCall,
  policyPath: string,
  flags: DataApiFlags,
): Promise<DecisionReply> {
  const trace: DecisionTrace = { stages: startStages() };
  try {
    const identity = await authenticate(deps, call);
    trace.identity = identity;
    markStage(trace, 'identity');
    // An empty body is no input at all, as OPA reads it.
    const withBody = call.body.ok && call.body.value === undefined ? { ...call, body: noInput } : call;
    const body = readBody(deps, withBody, validateDataRequest);
    markStage(trace, 'validate');
    const engine = requirePolicy(deps);
    trace.policy = engine.info;
    const warning = engine.hasEntrypoint(policyPath)
      ? body.input == null && INPUT_MISSING
      : notAnEntrypoint(policyPath, engine.info);

    const callerInput = (body.input ?? {}) as Record<string, unknown>;
    const invocation = callerInput.invocation as { model?: unknown; max_tokens?: unknown } | undefined;
    const model = typeof invocation?.model === 'string' ? invocation.model : '';
    if (callerInput.invocation !== undefined)
      trace.invocation = callerInput.invocation as DecisionTrace['invocation'];
    const nowMs = deps.now();
    // As in decide(): a shared tracker holds the subject's usage from the read to the reservation.
    const held = deps.usage.lock ? await deps.usage.lock(identity.subject.id, model, nowMs) : undefined;
    let end: ReturnType<typeof recordedEnd>;
    let result: unknown;
    let reservation: Reservation | undefined;
    try {
      const input = {
        ...callerFacts(callerInput),
        subject: identity.subject,
        usage: deps.usage.snapshot(identity.subject.id, model, nowMs),
        time: { now: new Date(nowMs).toISOString(), unix_ms: nowMs },
      };
      trace.input = input;
      // Like OPA, a path the bundle does not define is an undefined result, not an error.
      result = engine.hasEntrypoint(policyPath) ? evaluateOrThrow(engine, input, policyPath) : undefined;
      trace.result = result;

      end = recordedEnd(result, invocation?.max_tokens);
      // An allow here spends budget like one from /v1/decide: the Data API is no way around limits.
      reservation =
        end.outcome === 'allowed'
          ? deps.usage.reserve({
              decisionId: call.decisionId,
              subject: identity.subject.id,
              model,
              tokens:
                (end.maxTokens ?? 0) +
                promptTokens(
                  (invocation as { input_tokens?: unknown } | undefined)?.input_tokens,
                  (callerInput.payload as { chars?: unknown } | undefined)?.chars,
                ),
              atMs: nowMs,
            })
          : undefined;
    } finally {
      if (held) await held.end();
    }
    markStage(trace, 'evaluate');
    const unrecorded = await recordOrUnavailable(deps, call, trace, end, reservation);
    if (unrecorded) return unrecorded;
    const reply: Record<string, unknown> = { decision_id: call.decisionId };
    if (result !== undefined) reply.result = result;
    if (warning) reply.warning = warning;
    if (flags.metrics) reply.metrics = opaMetrics(deps, call, trace);
    if (flags.provenance) {
      reply.provenance = {
        version: `modelgate ${MODELGATE_VERSION}`,
        bundles: { [engine.info.bundle]: { revision: engine.info.revision } },
      };
    }
    return { status: 200, body: reply, headers: {} };
  } catch (err) {
    return reject(deps, call, trace, err);
  }
}

const noInput = { ok: true as const, value: {} };

// OPA's timer names: the policy's evaluation, and the request from its receipt to now (the record is durable).
function opaMetrics(deps: DecisionDeps, call: DecisionCall, trace: DecisionTrace): Record<string, number> {
  const evaluate = trace.stages?.spans.find((span) => span.stage === 'evaluate');
  const ns = (ms: number) => Math.round(ms * 1e6);
  return {
    timer_rego_query_eval_ns: evaluate ? ns(evaluate.endMs - evaluate.startMs) : 0,
    timer_server_handler_ns: ns(deps.now() - call.receivedAtMs),
  };
}

// A WASM bundle answers for its entrypoints only: say so, where OPA would have evaluated any rule or the whole tree.
function notAnEntrypoint(policyPath: string, policy: { bundle: string; entrypoints: string[] }) {
  const what = policyPath === '' ? 'the root document' : policyPath;
  return {
    code: 'api_usage_warning',
    message:
      `${what} is not an entrypoint of bundle ${policy.bundle}, so it is undefined here: modelgate evaluates ` +
      `the entrypoints compiled into the bundle (${policy.entrypoints.join(', ') || 'none'}), not every rule`,
  };
}

// The record says what /v1/decide would have enforced for a decision-shaped result.
function recordedEnd(result: unknown, maxTokens: unknown) {
  const doc = result as { allow?: unknown; reasons?: unknown; obligations?: unknown } | undefined;
  if (typeof doc?.allow !== 'boolean') {
    return {
      outcome: 'denied' as const,
      status: 200,
      reasons: [{ code: ReasonCode.PolicyOutputInvalid }],
      obligations: [],
      maxTokens: null,
    };
  }
  const enforced = enforceObligations(
    {
      allow: doc.allow,
      reasons: Array.isArray(doc.reasons) ? doc.reasons : [],
      obligations: Array.isArray(doc.obligations) ? doc.obligations.filter(isObligation) : [],
    },
    typeof maxTokens === 'number' ? maxTokens : undefined,
  );
  return {
    outcome: doc.allow ? ('allowed' as const) : ('denied' as const),
    status: 200,
    reasons: enforced.reasons,
    obligations: enforced.obligations,
    maxTokens: enforced.maxTokens,
  };
}

function isObligation(value: unknown): value is { type: string } {
  return typeof (value as { type?: unknown } | null)?.type === 'string';
}

// What only /v1/decide or /access/v1 establishes and a policy trusts like the subject: an approval bound to the
// request, a verified chain of parent decisions, the verified PEP of an AuthZEN call (`caller`). Here the caller
// would have written them (a support bot's token, evaluating an AuthZEN entrypoint, was allowed as the trusted
// PEP it named), so the policy does not see them.
function callerFacts(input: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...input };
  delete rest.approval;
  delete rest.lineage;
  delete rest.caller;
  return rest;
}
