import type OpenAI from 'openai';
import { ModelgateClientError, ModelgateDenied } from './client-errors';
import type { DecideRequest, Decision, ModelgateClient, UsageReport } from './modelgate-client';
import {
  applyToChat,
  applyToEmbedding,
  applyToResponse,
  chatMaxTokens,
  chatPayload,
  chatTools,
  embeddingPayload,
  responseMaxTokens,
  responsePayload,
  responseTools,
} from './openai-payloads';

type Invocation = DecideRequest['invocation'];

/** How calls are described to modelgate. */
export interface GuardOptions {
  /** `invocation.provider` (default `openai`). */
  provider?: string;
  /** `invocation.purpose`, when the policy binds identities to purposes. */
  purpose?: string;
  /** `context` of every decide request (environment, repository, ...). */
  context?: Record<string, unknown>;
  /**
   * Obligation types the caller fulfils itself, beside the `redact` and `cap_tokens` the guard enforces. An allow
   * carrying any other type is refused (ModelgateDenied, `obligation_not_enforced`): a policy's obligation that
   * nobody fulfils would be a silent allow.
   */
  acceptObligations?: readonly string[];
  /**
   * Called when the usage report after a completed call fails. The call's result is still returned:
   * the model has answered and been paid for. Default: a process warning.
   */
  onUsageReportError?: (error: unknown, decisionId: string) => void;
}

/** What one guarded call tells modelgate beside the call itself. */
export interface ModelgateCallOptions {
  /**
   * The approval this call presents: the `approval.id` of the ModelgateDenied (`approval_required`) that an earlier
   * call with the same parameters got, once an approver has approved it. Sent as `approval_id`; modelgate checks it
   * is bound to this caller, invocation, payload and context, so the parameters must be those of that call.
   */
  approvalId?: string;
}

/**
 * The OpenAI client's per-request options, plus `modelgate` for the guard: `create(params, { modelgate: {
 * approvalId } })`. The guard removes `modelgate` before the call reaches the OpenAI client.
 */
export type GuardedRequestOptions = OpenAI.RequestOptions & { modelgate?: ModelgateCallOptions };

/** The OpenAI endpoints the guard wraps, with the client's own parameter and result types. */
export interface GuardedOpenAI {
  chat: {
    completions: {
      create(
        params: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
        options?: GuardedRequestOptions,
      ): Promise<OpenAI.Chat.ChatCompletion>;
    };
  };
  responses: {
    create(
      params: OpenAI.Responses.ResponseCreateParamsNonStreaming,
      options?: GuardedRequestOptions,
    ): Promise<OpenAI.Responses.Response>;
  };
  embeddings: {
    create(
      params: OpenAI.EmbeddingCreateParams,
      options?: GuardedRequestOptions,
    ): Promise<OpenAI.CreateEmbeddingResponse>;
  };
}

// Splits the guard's own per-call options from the OpenAI client's, which go to the OpenAI client untouched.
function splitOptions(options: GuardedRequestOptions | undefined): {
  call: ModelgateCallOptions;
  openai: OpenAI.RequestOptions | undefined;
} {
  if (options === undefined) return { call: {}, openai: undefined };
  const { modelgate, ...openai } = options;
  return { call: modelgate ?? {}, openai };
}

/**
 * Returns the OpenAI client's chat.completions, responses and embeddings `create`, each guarded: ask
 * modelgate first, send the redacted payload with the decided token cap, throw ModelgateDenied on a
 * deny (the model is not called), ModelgateUnavailable when modelgate cannot decide, and report the
 * provider's usage afterwards. Streaming calls are refused: their usage cannot be reported reliably yet.
 */
export function guardOpenAI(
  openai: OpenAI,
  modelgate: ModelgateClient,
  options: GuardOptions = {},
): GuardedOpenAI {
  const invocation = (call: {
    model: string;
    operation: Invocation['operation'];
    maxTokens?: number | undefined;
    tools?: Invocation['tools'];
  }): Invocation => {
    const { model, operation, maxTokens, tools } = call;
    const out: Invocation = { model, operation, provider: options.provider ?? 'openai' };
    if (maxTokens !== undefined) out.max_tokens = maxTokens;
    if (tools && tools.length > 0) out.tools = tools;
    if (options.purpose !== undefined) out.purpose = options.purpose;
    return out;
  };
  const enforced = new Set(['redact', 'cap_tokens', ...(options.acceptObligations ?? [])]);
  const onReportError =
    options.onUsageReportError ??
    ((error: unknown, decisionId: string) =>
      process.emitWarning(`modelgate usage report for decision ${decisionId} failed: ${String(error)}`));

  // `request` is a function so that a call the guard refuses to describe (a tool without a name, token
  // arrays, a token limit that is not a positive integer, n > 1) is a rejected promise like every other
  // refusal, not an exception thrown by `create`.
  async function guarded<P, R>(call: {
    request: () => DecideRequest;
    params: P;
    modelgateOptions: ModelgateCallOptions;
    apply: (params: P, decision: Decision) => P;
    send: (params: P) => Promise<R>;
    usage: (result: R) => UsageReport | undefined;
  }): Promise<R> {
    if ((call.params as { stream?: unknown }).stream === true) {
      throw new ModelgateClientError('streaming calls are not supported by the modelgate guard');
    }
    const described = call.request();
    // The retry that presents an approval differs from the call that asked for it by approval_id alone: the
    // approval is bound to the invocation, the payload and the context, which are built the same way.
    const request: DecideRequest = {
      ...described,
      ...(options.context ? { context: options.context } : {}),
      // A UUID in capitals is the same id; modelgate's schema takes the lower-case spelling.
      ...(call.modelgateOptions.approvalId !== undefined
        ? { approval_id: call.modelgateOptions.approvalId.toLowerCase() }
        : {}),
    };
    const decision = await modelgate.decide(request);
    if (!decision.allow) {
      throw new ModelgateDenied({
        decisionId: decision.decision_id,
        reasons: decision.reasons,
        approval: decision.approval,
        status: 200,
      });
    }
    const unenforced = decision.obligations.filter((o) => !enforced.has(o.type));
    if (unenforced.length > 0) {
      throw new ModelgateDenied({
        decisionId: decision.decision_id,
        reasons: unenforced.map((o) => ({
          code: 'obligation_not_enforced',
          message: `the guard cannot fulfil the policy's ${o.type} obligation (acceptObligations lists those the caller does)`,
        })),
        status: 200,
      });
    }
    const result = await call.send(call.apply(call.params, decision));
    const usage = call.usage(result);
    if (usage)
      await modelgate
        .reportUsage(decision.decision_id, usage)
        .catch((err: unknown) => onReportError(err, decision.decision_id));
    return result;
  }

  return {
    chat: {
      completions: {
        create: (params, guardedOptions) => {
          const { call, openai: requestOptions } = splitOptions(guardedOptions);
          return guarded({
            request: () => ({
              invocation: invocation({
                model: params.model,
                operation: 'chat',
                maxTokens: chatMaxTokens(params),
                tools: chatTools(params),
              }),
              payload: chatPayload(params),
            }),
            params,
            modelgateOptions: call,
            apply: applyToChat,
            send: (p) => openai.chat.completions.create(p, requestOptions),
            usage: (r) =>
              r.usage && { input_tokens: r.usage.prompt_tokens, output_tokens: r.usage.completion_tokens },
          });
        },
      },
    },
    responses: {
      create: (params, guardedOptions) => {
        const { call, openai: requestOptions } = splitOptions(guardedOptions);
        return guarded({
          request: () => ({
            invocation: invocation({
              model: String(params.model),
              operation: 'chat',
              maxTokens: responseMaxTokens(params),
              tools: responseTools(params),
            }),
            payload: responsePayload(params),
          }),
          params,
          modelgateOptions: call,
          apply: applyToResponse,
          send: (p) => openai.responses.create(p, requestOptions),
          usage: (r) =>
            r.usage && { input_tokens: r.usage.input_tokens, output_tokens: r.usage.output_tokens },
        });
      },
    },
    embeddings: {
      create: (params, guardedOptions) => {
        const { call, openai: requestOptions } = splitOptions(guardedOptions);
        return guarded({
          request: () => ({
            invocation: invocation({ model: params.model, operation: 'embedding' }),
            payload: embeddingPayload(params),
          }),
          params,
          modelgateOptions: call,
          apply: applyToEmbedding,
          send: (p) => openai.embeddings.create(p, requestOptions),
          usage: (r) => r.usage && { input_tokens: r.usage.prompt_tokens, output_tokens: 0 },
        });
      },
    },
  };
}
