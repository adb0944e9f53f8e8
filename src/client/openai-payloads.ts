import type OpenAI from 'openai';
import type { DecideRequest, Decision } from './modelgate-client';
import { ModelgateClientError, ModelgateUnavailable } from './client-errors';

// How each OpenAI call maps to a decide body, and how the decision's redacted payload and token cap
// map back onto the call. One pair of functions per endpoint, nothing else.

type Payload = NonNullable<DecideRequest['payload']>;
type Message = NonNullable<Payload['messages']>[number];
type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
type ResponseParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;
type EmbeddingParams = OpenAI.EmbeddingCreateParams;

/** Returns the payload to screen for a chat completion: each message's role and content. */
export function chatPayload(params: ChatParams): Payload {
  return { messages: params.messages.map((m) => screenedMessage(m.role, m.content)) };
}

/** Returns the chat call with redacted message contents and the decided token cap. */
export function applyToChat(params: ChatParams, decision: Decision): ChatParams {
  const redacted = redactedMessages(decision, params.messages.length);
  const messages = params.messages.map((m, i) =>
    m.content === null || m.content === undefined ? m : { ...m, content: redacted[i]!.content },
  ) as ChatParams['messages'];
  const out: ChatParams = { ...params, messages };
  if (decision.max_tokens !== null) {
    // Keep the field the caller used; `max_tokens` is the one every OpenAI-compatible server reads.
    if (params.max_completion_tokens !== undefined && params.max_completion_tokens !== null)
      out.max_completion_tokens = decision.max_tokens;
    else out.max_tokens = decision.max_tokens;
  }
  return out;
}

/** Returns the payload to screen for a Responses call: instructions as the prompt, input as messages. */
export function responsePayload(params: ResponseParams): Payload {
  const payload: Payload = { messages: responseMessages(params.input) };
  if (typeof params.instructions === 'string') payload.prompt = params.instructions;
  return payload;
}

/** Returns the Responses call with redacted instructions and input and the decided token cap. */
export function applyToResponse(params: ResponseParams, decision: Decision): ResponseParams {
  const items = params.input;
  const redacted = redactedMessages(decision, typeof items === 'string' ? 1 : (items?.length ?? 0));
  const out: ResponseParams = { ...params };
  if (typeof items === 'string') out.input = redacted[0]!.content as string;
  else if (Array.isArray(items))
    out.input = items.map((item, i) => ({
      ...item,
      content: redacted[i]!.content,
    })) as ResponseParams['input'];
  if (typeof params.instructions === 'string') out.instructions = decision.redacted_payload?.prompt ?? '';
  if (decision.max_tokens !== null) out.max_output_tokens = decision.max_tokens;
  return out;
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

function screenedMessage(role: string, content: unknown): Message {
  if (content === null || content === undefined) return { role, content: '' };
  if (typeof content === 'string' || Array.isArray(content)) return { role, content } as Message;
  throw new ModelgateClientError(`a ${role} message has content the guard cannot screen`);
}

function responseMessages(input: ResponseParams['input']): Message[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  return input.map((item) => {
    const { role, content } = item as { role?: unknown; content?: unknown };
    // Function call outputs, reasoning items and references carry no role: the guard cannot say
    // what of them reaches the model, so it refuses rather than pass them unscreened.
    if (typeof role !== 'string') {
      throw new ModelgateClientError(
        `the guard screens message items only, not ${String((item as { type?: unknown }).type)}`,
      );
    }
    return screenedMessage(role, content);
  });
}

function redactedMessages(decision: Decision, expected: number): Message[] {
  const messages = decision.redacted_payload?.messages;
  if (!messages || messages.length !== expected) throw missingRedaction(decision);
  return messages;
}

// An allow without the redacted payload would mean sending what was never cleared: fail closed.
function missingRedaction(decision: Decision): ModelgateUnavailable {
  return new ModelgateUnavailable('modelgate allowed the call without the redacted payload to send', {
    decisionId: decision.decision_id,
  });
}
