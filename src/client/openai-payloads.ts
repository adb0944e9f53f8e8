import type OpenAI from 'openai';
import type { DecideRequest, Decision } from './modelgate-client';
import { ModelgateClientError, ModelgateUnavailable } from './client-errors';

// How each OpenAI call maps to a decide body, and how the decision's redacted payload and token cap map back
// onto the call. One pair of functions per endpoint, and the tools' names.
//
// Chat and Responses calls send modelgate, as the payload's `arguments` (any JSON, every string leaf of it
// screened), each parameter that reaches the model as content, whole: not only each message's text but its tool
// calls' arguments, legacy function calls, tool results, and every Responses input item whatever its type. The
// call then goes out with modelgate's redacted copy of exactly those parameters, so a shape the guard does not
// know is screened like the rest instead of passed through. Tool definitions are not content: the policy decides
// on their names.

type Payload = NonNullable<DecideRequest['payload']>;
type Tools = NonNullable<DecideRequest['invocation']['tools']>;
type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
type ResponseParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;
type EmbeddingParams = OpenAI.EmbeddingCreateParams;

const CHAT_CONTENT = ['messages', 'prediction'] as const satisfies readonly (keyof ChatParams)[];
const RESPONSE_CONTENT = [
  'input',
  'instructions',
  'prompt',
] as const satisfies readonly (keyof ResponseParams)[];

/** Returns the payload to screen for a chat completion: its messages, whole, and any predicted output. */
export function chatPayload(params: ChatParams): Payload {
  return contentPayload(params, CHAT_CONTENT);
}

/** Returns the chat call with its redacted messages and prediction and the decided token cap. */
export function applyToChat(params: ChatParams, decision: Decision): ChatParams {
  const out = withRedactedContent(params, CHAT_CONTENT, decision);
  if (decision.max_tokens !== null) {
    // Keep the field the caller used; `max_tokens` is the one every OpenAI-compatible server reads.
    if (params.max_completion_tokens !== undefined && params.max_completion_tokens !== null)
      out.max_completion_tokens = decision.max_tokens;
    else out.max_tokens = decision.max_tokens;
  }
  return out;
}

/** Returns the names of the tools a chat call offers: `tools` and the legacy `functions`. */
export function chatTools(params: ChatParams): Tools {
  return toolNames([...(params.tools ?? []), ...(params.functions ?? [])]);
}

/** Returns the payload to screen for a Responses call: its input items whole, instructions and prompt variables. */
export function responsePayload(params: ResponseParams): Payload {
  return contentPayload(params, RESPONSE_CONTENT);
}

/** Returns the Responses call with its redacted input, instructions and prompt and the decided token cap. */
export function applyToResponse(params: ResponseParams, decision: Decision): ResponseParams {
  const out = withRedactedContent(params, RESPONSE_CONTENT, decision);
  if (decision.max_tokens !== null) out.max_output_tokens = decision.max_tokens;
  return out;
}

/** Returns the names of the tools a Responses call offers. */
export function responseTools(params: ResponseParams): Tools {
  return toolNames(params.tools ?? []);
}

/** Returns the payload to screen for an embeddings call. */
export function embeddingPayload(params: EmbeddingParams): Payload {
  const input = params.input;
  const strings =
    typeof input === 'string' || (Array.isArray(input) && input.every((x) => typeof x === 'string'));
  if (!strings)
    throw new ModelgateClientError('the guard screens text only: embeddings of token arrays are refused');
  return { input: input as string | string[] };
}

/** Returns the embeddings call with redacted input. */
export function applyToEmbedding(params: EmbeddingParams, decision: Decision): EmbeddingParams {
  const input = decision.redacted_payload?.input;
  if (input === undefined) throw missingRedaction(decision);
  return { ...params, input };
}

function contentPayload<P extends object>(params: P, fields: readonly (keyof P & string)[]): Payload {
  const content: Record<string, unknown> = {};
  for (const field of fields) if (params[field] !== undefined) content[field] = params[field];
  return { arguments: content };
}

function withRedactedContent<P extends object>(
  params: P,
  fields: readonly (keyof P & string)[],
  decision: Decision,
): P {
  const redacted = decision.redacted_payload?.arguments;
  if (typeof redacted !== 'object' || redacted === null || Array.isArray(redacted))
    throw missingRedaction(decision);
  const out = { ...params };
  for (const field of fields) {
    if (params[field] === undefined) continue;
    if (!Object.hasOwn(redacted, field)) throw missingRedaction(decision);
    out[field] = (redacted as Record<string, unknown>)[field] as P[typeof field];
  }
  return out;
}

/**
 * Returns every tool's name: a function's or custom tool's `name` (chat nests it in `function` or `custom`), a
 * built-in tool's `type` (web_search, mcp, ...), and the tools a namespace groups. Throws for a tool it cannot
 * name: the policy must see every tool the model may call.
 */
function toolNames(tools: readonly unknown[]): Tools {
  const names: Tools = [];
  const visit = (tool: unknown): void => {
    const t = (typeof tool === 'object' && tool !== null ? tool : {}) as {
      name?: unknown;
      type?: unknown;
      function?: { name?: unknown };
      custom?: { name?: unknown };
      tools?: unknown;
    };
    // A function or custom tool is named by its name alone: its type would let any such tool pass as "function".
    const userDefined =
      t.function !== undefined || t.custom !== undefined || t.type === 'function' || t.type === 'custom';
    const name = t.function?.name ?? t.custom?.name ?? t.name ?? (userDefined ? undefined : t.type);
    if (typeof name !== 'string' || name === '')
      throw new ModelgateClientError('a tool without a name or type cannot be checked by the policy');
    names.push({ name });
    if (Array.isArray(t.tools)) t.tools.forEach(visit);
  };
  tools.forEach(visit);
  return names;
}

// An allow without the redacted payload would mean sending what was never cleared: fail closed.
function missingRedaction(decision: Decision): ModelgateUnavailable {
  return new ModelgateUnavailable('modelgate allowed the call without the redacted payload to send', {
    decisionId: decision.decision_id,
  });
}
