/**
 * A caller that asks modelgate before every model call, as the README's "Integrating a caller" describes:
 * decide, call the model with the redacted messages and the capped max_tokens, report usage, fail closed.
 *
 *   MODELGATE_URL=http://127.0.0.1:8080 MODEL_URL=http://127.0.0.1:4000/v1 TOKEN=… npx tsx examples/guarded-chat.ts
 *
 * MODEL_URL is any OpenAI-compatible API (a gateway such as LiteLLM, or a provider). Prints the model's reply.
 */

interface Message {
  role: string;
  content: string;
}

interface Decision {
  decision_id: string;
  allow: boolean;
  reasons: { code: string; message?: string }[];
  max_tokens: number | null;
  redacted_payload?: { messages: Message[] };
}

interface Completion {
  choices: { message: Message }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

/** Thrown when modelgate denies the call: carries the reasons and the decision id for the logs. */
export class DeniedError extends Error {
  constructor(readonly decision: Decision) {
    super(
      `modelgate denied the call (${decision.decision_id}): ${decision.reasons.map((r) => r.code).join(', ')}`,
    );
  }
}

const MODELGATE_URL = process.env.MODELGATE_URL ?? 'http://127.0.0.1:8080';
const MODEL_URL = process.env.MODEL_URL ?? 'http://127.0.0.1:4000/v1';

/** Returns the model's completion for `messages`, if modelgate allows the call; throws otherwise. */
export async function guardedChat(token: string, messages: Message[]): Promise<Completion> {
  const invocation = {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
    max_tokens: 1024,
  };
  // README:start
  const decision = await fetch(`${MODELGATE_URL}/v1/decide`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ invocation, payload: { messages } }),
    signal: AbortSignal.timeout(2000), // no answer in time: fail closed
  }).then((res) => res.json() as Promise<Decision>); // a network error throws: fail closed
  if (!decision.allow) throw new DeniedError(decision); // reasons and decision_id, for the logs
  const completion = await callModel({
    model: invocation.model,
    messages: decision.redacted_payload!.messages, // what screening allowed, never the original
    max_tokens: decision.max_tokens ?? undefined, // the policy's cap
  });
  await reportUsage(decision.decision_id, completion.usage);
  // README:end
  return completion;

  async function reportUsage(decisionId: string, usage: Completion['usage']): Promise<void> {
    const res = await fetch(`${MODELGATE_URL}/v1/decisions/${decisionId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens }),
    });
    if (!res.ok) throw new Error(`usage report refused: ${res.status} ${await res.text()}`);
  }
}

async function callModel(request: { model: string; messages: Message[]; max_tokens?: number }) {
  const res = await fetch(`${MODEL_URL}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${process.env.MODEL_API_KEY ?? ''}`,
    },
    body: JSON.stringify(request),
  });
  if (!res.ok) throw new Error(`model call failed: ${res.status}`);
  return (await res.json()) as Completion;
}

if (require.main === module) {
  const token = process.env.TOKEN;
  if (!token) throw new Error('set TOKEN to a bearer token modelgate trusts');
  const text = process.argv.slice(2).join(' ') || 'Customer jane.doe@example.com asks about her refund.';
  guardedChat(token, [{ role: 'user', content: text }]).then(
    (completion) => console.log(completion.choices[0]?.message.content),
    (err: unknown) => {
      console.error((err as Error).message);
      process.exitCode = 1;
    },
  );
}
