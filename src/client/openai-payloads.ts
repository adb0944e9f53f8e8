import type OpenAI from 'openai';
import type { DecideRequest, Decision } from './modelgate-client';
import { ModelgateClientError, ModelgateUnavailable } from './client-errors';

// How each OpenAI call maps to a decide body, and how the decision's redacted payload and token cap map back
// onto the call. Per endpoint: the payload, the token limit the policy is told, the tools' names, and the call as
// modelgate cleared it.
//
// A call sends modelgate, as the payload's `arguments` (any JSON, every string leaf of it screened), every
// parameter it sets but the model, its token limits and `stream`, whole: whatever a provider reads may reach the
// model or be kept by the provider, not only the messages (tool descriptions and parameter schemas, response
// schemas, metadata, stop sequences, `user`, an MCP tool's headers). The call then goes out built afresh from the
// model and modelgate's redacted copy of each of those parameters, so a parameter the guard does not know is
// screened like the rest instead of passed through. An embedding's input is screened as modelgate's typed `input`.

type Payload = NonNullable<DecideRequest['payload']>;
type Tools = NonNullable<DecideRequest['invocation']['tools']>;
type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
type ResponseParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;
type EmbeddingParams = OpenAI.EmbeddingCreateParams;

// A call's parameters: the model (the invocation's) and `stream` (refused when true) go out as the caller set them,
// the token limits are capped, every other parameter is screened. An embedding's input is the payload's `input`.
const KEPT = ['model', 'stream'] as const satisfies readonly (keyof ChatParams & keyof ResponseParams)[];
const CHAT_LIMITS = ['max_completion_tokens', 'max_tokens'] as const satisfies readonly (keyof ChatParams)[];
const RESPONSE_LIMITS = ['max_output_tokens'] as const satisfies readonly (keyof ResponseParams)[];
// Every output token limit of the endpoints the guard wraps: one of another endpoint is refused, since a lenient
// OpenAI-compatible server may read it and the cap would not replace it.
const TOKEN_LIMITS: readonly string[] = [...CHAT_LIMITS, ...RESPONSE_LIMITS];
const CHAT_OWN = [...KEPT, ...CHAT_LIMITS];
const RESPONSE_OWN = [...KEPT, ...RESPONSE_LIMITS];
const EMBEDDING_OWN = ['model', 'input'] as const satisfies readonly (keyof EmbeddingParams)[];

/** Returns the payload to screen for a chat completion: every parameter but the model, token limits and stream. */
export function chatPayload(params: ChatParams): Payload {
  return argumentsPayload(params, CHAT_OWN);
}

/**
 * Returns the largest output token limit a chat call sets, for the policy. Throws for a limit that is not a
 * positive integer and for more than one choice: the cap bounds one choice, n choices would each get it.
 */
export function chatMaxTokens(params: ChatParams): number | undefined {
  if (isSet(params.n) && params.n !== 1)
    throw new ModelgateClientError('n must be 1: the token cap bounds one choice');
  return largestLimit(params, CHAT_LIMITS);
}

/** Returns the chat call as modelgate cleared it: its redacted parameters, the cap in each token limit. */
export function applyToChat(params: ChatParams, decision: Decision): ChatParams {
  return {
    ...ownParams(params, KEPT),
    ...clearedArguments(params, CHAT_OWN, decision),
    ...cappedLimits(params, CHAT_LIMITS, decision),
  } as ChatParams;
}

/** Returns the names of the tools a chat call offers: `tools`, the legacy `functions`, and web search. */
export function chatTools(params: ChatParams): Tools {
  const tools = toolNames(params, ['tools', 'functions']);
  // web_search_options gives the model web search without a tool in `tools`: named as the Responses built-in is.
  if (isSet(params.web_search_options) && !tools.some((tool) => tool.name === 'web_search'))
    tools.push({ name: 'web_search' });
  return tools;
}

/** Returns the payload to screen for a Responses call: every parameter but the model, token limit and stream. */
export function responsePayload(params: ResponseParams): Payload {
  return argumentsPayload(params, RESPONSE_OWN);
}

/** Returns the output token limit a Responses call sets; throws for one that is not a positive integer. */
export function responseMaxTokens(params: ResponseParams): number | undefined {
  return largestLimit(params, RESPONSE_LIMITS);
}

/** Returns the Responses call as modelgate cleared it: its redacted parameters and the capped token limit. */
export function applyToResponse(params: ResponseParams, decision: Decision): ResponseParams {
  return {
    ...ownParams(params, KEPT),
    ...clearedArguments(params, RESPONSE_OWN, decision),
    ...cappedLimits(params, RESPONSE_LIMITS, decision),
  } as ResponseParams;
}

/** Returns the names of the tools a Responses call offers. */
export function responseTools(params: ResponseParams): Tools {
  return toolNames(params, ['tools']);
}

/** Returns the payload to screen for an embeddings call: its input, and its other parameters as arguments. */
export function embeddingPayload(params: EmbeddingParams): Payload {
  const input = params.input;
  const strings =
    typeof input === 'string' || (Array.isArray(input) && input.every((x) => typeof x === 'string'));
  if (!strings)
    throw new ModelgateClientError('the guard screens text only: embeddings of token arrays are refused');
  return { input: input as string | string[], ...argumentsPayload(params, EMBEDDING_OWN) };
}

/** Returns the embeddings call as modelgate cleared it: its redacted input and parameters. */
export function applyToEmbedding(params: EmbeddingParams, decision: Decision): EmbeddingParams {
  const input = decision.redacted_payload?.input;
  if (input === undefined) throw missingRedaction(decision);
  return { model: params.model, input, ...clearedArguments(params, EMBEDDING_OWN, decision) };
}

// The parameters a call sends as arguments: each it sets but its own. None is left out for being empty or null:
// the provider gets only what modelgate was sent.
function screened(params: object, own: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && !own.includes(name)) out[name] = value;
  return out;
}

function argumentsPayload(params: object, own: readonly string[]): Payload {
  const sent = screened(params, own);
  return Object.keys(sent).length > 0 ? { arguments: sent } : {};
}

// The parameters the call keeps as the caller set them.
function ownParams<P extends object>(params: P, own: readonly string[]): Partial<P> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && own.includes(name)) out[name] = value;
  return out as Partial<P>;
}

// The largest limit the call sets. Each is checked, not only the largest: a provider may read a string
// ("100000") as a number, or read whichever limit it prefers.
function largestLimit(params: object, limits: readonly string[]): number | undefined {
  const foreign = TOKEN_LIMITS.filter(
    (name) => !limits.includes(name) && isSet((params as Record<string, unknown>)[name]),
  );
  if (foreign.length > 0)
    throw new ModelgateClientError(
      `${foreign.join(', ')} is not a token limit of this endpoint (${limits.join(', ')}): the cap would not replace it`,
    );
  let largest: number | undefined;
  for (const name of limits) {
    const value = (params as Record<string, unknown>)[name];
    if (!isSet(value)) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new ModelgateClientError(`${name} must be a positive integer`);
    largest = Math.max(largest ?? value, value);
  }
  return largest;
}

// The limits the caller set, each replaced by the decided cap; the cap goes in the last limit (chat's `max_tokens`,
// which every OpenAI-compatible server reads) when the caller set none.
function cappedLimits(params: object, limits: readonly string[], decision: Decision): Record<string, number> {
  const set = limits.filter((name) => isSet((params as Record<string, unknown>)[name]));
  const out: Record<string, number> = {};
  for (const name of set) out[name] = (params as Record<string, number>)[name]!;
  if (decision.max_tokens === null) return out;
  for (const name of set.length > 0 ? set : limits.slice(-1)) out[name] = decision.max_tokens;
  return out;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

// modelgate's redacted copy of each parameter that was sent: one missing would mean sending it uncleared.
function clearedArguments<P extends object>(
  params: P,
  own: readonly string[],
  decision: Decision,
): Partial<P> {
  const sent = Object.keys(screened(params, own));
  if (sent.length === 0) return {};
  const redacted = decision.redacted_payload?.arguments;
  if (typeof redacted !== 'object' || redacted === null || Array.isArray(redacted))
    throw missingRedaction(decision);
  const out: Record<string, unknown> = {};
  for (const name of sent) {
    if (!Object.hasOwn(redacted, name)) throw missingRedaction(decision);
    out[name] = (redacted as Record<string, unknown>)[name];
  }
  return out as Partial<P>;
}

// Tools named by their names alone: a function or custom tool, or a namespace of them, named by its type too would
// let any such tool pass as "function".
const USER_DEFINED = new Set<unknown>(['function', 'custom', 'namespace']);

/**
 * Returns every name of every tool the call offers in `fields`, deduplicated, in order, and of the tools a
 * namespace groups. Throws for a tool it cannot name: the policy must see every tool the model may call.
 */
function toolNames(params: object, fields: readonly string[]): Tools {
  const names: string[] = [];
  const visit = (tool: unknown): void => {
    for (const name of namesOf(tool)) if (!names.includes(name)) names.push(name);
    const inner = (tool as { tools?: unknown }).tools;
    if (Array.isArray(inner)) inner.forEach(visit);
  };
  for (const field of fields) {
    const tools = (params as Record<string, unknown>)[field];
    if (!isSet(tools)) continue;
    if (!Array.isArray(tools))
      throw new ModelgateClientError(`${field} must be a list for the policy to check it`);
    tools.forEach(visit);
  }
  return names.map((name) => ({ name }));
}

// A tool is named by each of `function.name`, `custom.name` and `name` it carries, since providers read different
// ones (a server that ignores `function` runs the Responses-style `name`), and a built-in tool (web_search, mcp,
// ...) by its `type` too, whatever name it is given.
function namesOf(tool: unknown): string[] {
  const t = (isObject(tool) ? tool : {}) as {
    name?: unknown;
    type?: unknown;
    function?: unknown;
    custom?: unknown;
  };
  const userDefined = t.function !== undefined || t.custom !== undefined || USER_DEFINED.has(t.type);
  const found = [nameIn(t.function), nameIn(t.custom), t.name, userDefined ? undefined : t.type].filter(
    isSet,
  );
  if (found.length === 0)
    throw new ModelgateClientError('a tool without a name or type cannot be checked by the policy');
  if (!found.every(isName))
    throw new ModelgateClientError(
      "every name a tool carries (function.name, custom.name, name, a built-in tool's type) must be a non-empty string",
    );
  return found;
}

function nameIn(value: unknown): unknown {
  return isObject(value) ? (value as { name?: unknown }).name : undefined;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

// An allow without the redacted payload would mean sending what was never cleared: fail closed.
function missingRedaction(decision: Decision): ModelgateUnavailable {
  return new ModelgateUnavailable('modelgate allowed the call without the redacted payload to send', {
    decisionId: decision.decision_id,
  });
}
