import OpenAI from 'openai';
import { FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from '../../test/helpers/fake-openai';
import { startGateService, waitForUsageReport } from '../../test/helpers/gate-service';
import type { TestService } from '../../test/helpers/service';
import { decisions } from '../testdata/decisions';
import { MASTER_KEY, startLitellmProxy, type LitellmProxy } from './litellm-proxy';

// The guardrail on every route LiteLLM serves a model call on (chat, Responses, Anthropic /v1/messages, text
// completions): what reaches the backend besides each message's text (tool calls' arguments, tool results,
// system prompts, Responses items, prompts) is screened and sent redacted, and every tool, in each shape, is named
// to the policy. The gate policy denies secrets and the tool delete_database, redacts emails and cards, caps at 64.
// The proxy's guardrail screens `documents`, a field no OpenAI request type defines, and `provider_specific_header`,
// where LiteLLM puts a caller's anthropic-beta header (MODELGATE_SCREEN_FIELDS).
const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const AWS_KEY = 'AKIA' + 'Z7QH4K2M6XW3PLTR';

let service: TestService;
let provider: FakeOpenAI;
let proxy: LitellmProxy;
let client: OpenAI;

beforeAll(async () => {
  [service, provider] = await Promise.all([startGateService(), startFakeOpenAI()]);
  proxy = await startLitellmProxy({
    providerURL: provider.baseURL,
    modelgateURL: service.url,
    token: service.token({ sub: 'spiffe://corp/gateway/litellm' }),
    env: { MODELGATE_SCREEN_FIELDS: 'documents,provider_specific_header' },
    failingModels: { 'gpt-4o-mini-down': ['gpt-4o-mini'] },
  });
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: proxy.url, maxRetries: 0 });
}, 300_000);

afterAll(async () => {
  proxy?.stop();
  await Promise.all([service?.close(), provider?.close()]);
});

beforeEach(() => {
  provider.requests.length = 0;
});

/** Returns the status and message of the proxy's refusal, and the last decision, which must be a deny. */
async function refusal(call: Promise<unknown>) {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const { status, message } = error as InstanceType<typeof OpenAI.APIError>;
  return { status, message, decision: decisions(service.db).at(-1)! };
}

/** POSTs a JSON body to one of the proxy's routes. */
async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** POSTs a JSON body with these headers to one of the proxy's routes. */
async function postWith(
  path: string,
  headers: Record<string, string>,
  body: Record<string, unknown>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** POSTs an Anthropic Messages body to the proxy's /v1/messages. */
function anthropicMessages(body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  return post('/v1/messages', { model: 'gpt-4o-mini', max_tokens: 1000, ...body });
}

const toolCall = (args: string): OpenAI.Chat.ChatCompletionMessageParam => ({
  role: 'assistant',
  content: null,
  tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: args } }],
});

describe('chat completions', () => {
  it('refuses a secret in a tool call’s arguments with 403 secret_in_payload; the backend never sees it', async () => {
    const before = decisions(service.db).length;
    const { status, message, decision } = await refusal(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'user', content: 'deploy the service' },
          toolCall(JSON.stringify({ aws_access_key_id: AWS_KEY })),
          { role: 'tool', tool_call_id: 'call_1', content: 'deployed' },
        ],
      }),
    );
    expect(status).toBe(403);
    expect(message).toContain('secret_in_payload');
    expect(decisions(service.db)).toHaveLength(before + 1);
    expect(decision).toMatchObject({
      outcome: 'denied',
      input: { payload: { findings: { aws_access_key: 1 } } },
    });
    expect(provider.requests).toHaveLength(0);
  });

  it('sends tool call arguments and tool results redacted, ids kept', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'who ordered 42?' },
        toolCall(JSON.stringify({ notify: EMAIL })),
        { role: 'tool', tool_call_id: 'call_1', content: `paid with ${CARD}` },
      ],
    });
    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!.body;
    expect(JSON.stringify(sent)).not.toContain(EMAIL);
    expect(JSON.stringify(sent)).not.toContain(CARD);
    expect(sent).toMatchObject({
      messages: [
        { role: 'user', content: 'who ordered 42?' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'call_1', function: { arguments: '{"notify":"[REDACTED:email]"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'paid with [REDACTED:credit_card]' },
      ],
    });
  });

  // An obligation of the policy's own that nobody fulfils was dropped: the call went on as a plain allow.
  it('refuses with 403 an allow whose obligation it cannot fulfil; the backend never sees it', async () => {
    const error = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'the quarterly numbers' }],
        tools: [{ type: 'function', function: { name: 'export_report' } }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    expect((error as Error).message).toContain('obligation_not_enforced');
    expect(decisions(service.db).at(-1)?.outcome).toBe('allowed');
    expect(provider.requests).toHaveLength(0);
  });

  it('names legacy functions to the policy: a forbidden one is refused with 403 tool_not_allowed', async () => {
    const { status, message, decision } = await refusal(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'clean up' }],
        functions: [{ name: 'delete_database', parameters: { type: 'object' } }],
      }),
    );
    expect(status).toBe(403);
    expect(message).toContain('tool_not_allowed');
    expect(decision.input?.invocation?.tools).toEqual([{ name: 'delete_database' }]);
    expect(provider.requests).toHaveLength(0);
  });
  it('refuses a tool it cannot name with 400, before asking modelgate; the backend never sees it', async () => {
    const before = decisions(service.db).length;
    const unnamed = { type: 'function', function: { parameters: { type: 'object' } } };
    const error = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
        tools: [unnamed as unknown as OpenAI.Chat.ChatCompletionTool],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('a tool without a name');
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });
});

describe('Responses API', () => {
  it('names function tools (tools[].name) to the policy: a forbidden one is refused with 403 tool_not_allowed', async () => {
    const { status, message, decision } = await refusal(
      client.responses.create({
        model: 'gpt-4o-mini',
        input: 'clean up',
        tools: [{ type: 'function', name: 'delete_database', parameters: { type: 'object' }, strict: false }],
      }),
    );
    expect(status).toBe(403);
    expect(message).toContain('tool_not_allowed');
    expect(decision.input?.invocation?.tools).toEqual([{ name: 'delete_database' }]);
    expect(provider.requests).toHaveLength(0);
  });

  it('sends input items of every type and the instructions redacted, and caps max_output_tokens', async () => {
    await client.responses.create({
      model: 'gpt-4o-mini',
      max_output_tokens: 1000,
      instructions: `Write to ${EMAIL}`,
      input: [
        { role: 'user', content: `who paid with ${CARD}?` },
        { type: 'function_call', call_id: 'call_1', name: 'lookup_order', arguments: `{"by":"${EMAIL}"}` },
        { type: 'function_call_output', call_id: 'call_1', output: `customer ${EMAIL}` },
      ],
    });
    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!.body;
    expect(JSON.stringify(sent)).not.toContain(EMAIL);
    expect(JSON.stringify(sent)).not.toContain(CARD);
    expect(sent).toMatchObject({
      instructions: 'Write to [REDACTED:email]',
      max_output_tokens: 64,
      input: [
        { role: 'user', content: 'who paid with [REDACTED:credit_card]?' },
        { type: 'function_call', call_id: 'call_1', arguments: '{"by":"[REDACTED:email]"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'customer [REDACTED:email]' },
      ],
    });
  });
});

describe('Anthropic /v1/messages', () => {
  it('refuses a secret in the top-level system prompt with 403 secret_in_payload; the backend never sees it', async () => {
    const reply = await anthropicMessages({
      system: `Deploy with ${AWS_KEY}`,
      messages: [{ role: 'user', content: 'deploy' }],
    });
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('secret_in_payload');
    expect(decisions(service.db).at(-1)?.outcome).toBe('denied');
    expect(provider.requests).toHaveLength(0);
  });

  it('names tools (tools[].name) to the policy: a forbidden one is refused with 403 tool_not_allowed', async () => {
    const reply = await anthropicMessages({
      messages: [{ role: 'user', content: 'clean up' }],
      tools: [{ name: 'delete_database', input_schema: { type: 'object' } }],
    });
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('tool_not_allowed');
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([{ name: 'delete_database' }]);
    expect(provider.requests).toHaveLength(0);
  });

  it('sends the system prompt, tool uses and tool results redacted, and caps max_tokens', async () => {
    const reply = await anthropicMessages({
      system: [{ type: 'text', text: `You write to ${EMAIL}` }],
      messages: [
        { role: 'user', content: 'who ordered 42?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup_order', input: { by: EMAIL } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: `paid with ${CARD}` }],
        },
      ],
    });
    expect(reply.status).toBe(200);
    expect(provider.requests).toHaveLength(1);
    const sent = JSON.stringify(provider.requests[0]!.body);
    // Precondition: the backend got the call's content at all, in whatever form LiteLLM translated it to.
    expect(sent).toContain('You write to');
    expect(sent).toContain('paid with');
    expect(sent).toContain('lookup_order');
    expect(sent).not.toContain(EMAIL);
    expect(sent).not.toContain(CARD);
    expect(sent).toContain('[REDACTED:email]');
    expect(sent).toContain('[REDACTED:credit_card]');
    expect(decisions(service.db).at(-1)).toMatchObject({ outcome: 'allowed', max_tokens: 64 });
  });
});

describe('usage', () => {
  // LiteLLM answers /v1/messages with a dict, not an object with a `usage` attribute.
  it('reports the usage of an Anthropic /v1/messages call for its decision', async () => {
    const reply = await anthropicMessages({ messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ usage: { input_tokens: FAKE_USAGE.input } });
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('allowed');
    expect(await waitForUsageReport(service.db, decision.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });
});

describe('streamed usage', () => {
  // LiteLLM calls a guardrail's post-call success hook at the end of a chat stream only; a Responses or /v1/messages
  // stream (which LiteLLM bridges to a Responses stream for an OpenAI backend) ended with no usage reported.
  const reported = async (expected: { input_tokens: number; output_tokens: number }) => {
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('allowed');
    expect(await waitForUsageReport(service.db, decision.decision_id)).toEqual(expected);
  };
  const fake = { input_tokens: FAKE_USAGE.input, output_tokens: FAKE_USAGE.output };

  it('reports the usage of a streamed Responses call', async () => {
    const reply = await post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi', stream: true });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('response.completed');
    expect(provider.requests[0]!.body).toMatchObject({ stream: true, max_output_tokens: 64 });
    await reported(fake);
  });

  it('reports the usage of a streamed /v1/messages call', async () => {
    const reply = await anthropicMessages({ messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('message_stop');
    await reported(fake);
  });

  it('reports the usage of a streamed chat call', async () => {
    const reply = await post('/v1/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('"usage"');
    await reported(fake);
  });
});

describe('text completions', () => {
  it('sends the prompt redacted with max_tokens capped', async () => {
    const reply = await client.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 1000,
      prompt: `Write to ${EMAIL} about card ${CARD}`,
    });
    expect(reply).toBeDefined();
    expect(provider.requests).toHaveLength(1);
    const sent = JSON.stringify(provider.requests[0]!.body);
    expect(sent).toContain('Write to [REDACTED:email] about card [REDACTED:credit_card]');
    expect(sent).not.toContain(EMAIL);
    expect(provider.requests[0]!.body.max_tokens).toBe(64);
    expect(decisions(service.db).at(-1)).toMatchObject({ outcome: 'allowed', max_tokens: 64 });
  });
});

describe('a caller holding a LiteLLM key gets nothing past the guardrail that modelgate did not clear', () => {
  const chat = (extra: Record<string, unknown>) => ({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
    ...extra,
  });

  // Each of these reaches the provider, most of them the model; none is in the messages, the input or the prompt.
  const secretFields: [string, string, Record<string, unknown>][] = [
    [
      'a tool description',
      '/v1/chat/completions',
      chat({
        tools: [{ type: 'function', function: { name: 'tickets.read', description: `key ${AWS_KEY}` } }],
      }),
    ],
    [
      'a response format schema',
      '/v1/chat/completions',
      chat({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'reply', schema: { type: 'object', description: AWS_KEY } },
        },
      }),
    ],
    ['stop sequences', '/v1/chat/completions', chat({ stop: [AWS_KEY] })],
    ['user', '/v1/chat/completions', chat({ user: AWS_KEY })],
    ['a field the operator screens', '/v1/chat/completions', chat({ documents: [{ text: AWS_KEY }] })],
    [
      "a Responses call's metadata",
      '/v1/responses',
      { model: 'gpt-4o-mini', input: 'hi', metadata: { k: AWS_KEY } },
    ],
    [
      "a Responses call's text format",
      '/v1/responses',
      {
        model: 'gpt-4o-mini',
        input: 'hi',
        text: { format: { type: 'json_schema', name: 'r', schema: { description: AWS_KEY } } },
      },
    ],
    [
      "an Anthropic call's metadata",
      '/v1/messages',
      {
        model: 'gpt-4o-mini',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        metadata: { user_id: AWS_KEY },
      },
    ],
    [
      "an embeddings call's user",
      '/v1/embeddings',
      { model: 'text-embedding-3-small', input: 'hi', user: AWS_KEY },
    ],
  ];
  it.each(secretFields)('refuses a secret in %s with 403 secret_in_payload', async (_name, path, body) => {
    const reply = await post(path, body);
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('secret_in_payload');
    expect(decisions(service.db).at(-1)?.outcome).toBe('denied');
    expect(provider.requests).toHaveLength(0);
  });

  it('redacts every field it sends on, tool definitions too, and leaves their shape alone', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      user: EMAIL,
      stop: [CARD],
      tools: [
        {
          type: 'function',
          function: {
            name: 'tickets.read',
            description: `Reads tickets of ${EMAIL}`,
            parameters: { type: 'object', properties: { id: { type: 'integer' } } },
          },
        },
      ],
      temperature: 0.2,
    });
    expect(provider.requests[0]!.body).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
      user: '[REDACTED:email]',
      stop: ['[REDACTED:credit_card]'],
      tools: [
        {
          type: 'function',
          function: {
            name: 'tickets.read',
            description: 'Reads tickets of [REDACTED:email]',
            parameters: { type: 'object', properties: { id: { type: 'integer' } } },
          },
        },
      ],
      temperature: 0.2,
    });
    expect(decisions(service.db).at(-1)?.input?.payload?.findings).toMatchObject({
      email: 2,
      credit_card: 1,
    });
  });

  it("sends a Responses call's metadata redacted, keeps its own bookkeeping out of it, and reports usage", async () => {
    const reply = await post('/v1/responses', {
      model: 'gpt-4o-mini',
      input: 'hi',
      metadata: { customer: EMAIL },
    });
    expect(reply.status).toBe(200);
    expect(provider.requests[0]!.body.metadata).toEqual({ customer: '[REDACTED:email]' });
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('allowed');
    await waitForUsageReport(service.db, decision.decision_id);
  });

  it('refuses with 400 a field it would pass on unscreened, before modelgate is asked', async () => {
    const before = decisions(service.db).length;
    const replies = await Promise.all([
      // vLLM reads a chat template; LiteLLM sends unknown fields on to the provider.
      post('/v1/chat/completions', chat({ chat_template: `{{ "${AWS_KEY}" }}` })),
      // LiteLLM's own: a system prompt it inserts, and other models it calls when this one fails.
      post('/v1/chat/completions', chat({ litellm_system_prompt: AWS_KEY })),
      post('/v1/chat/completions', chat({ fallbacks: ['gpt-4o'] })),
      // A token limit of another endpoint, which a lenient server may read.
      post('/v1/chat/completions', chat({ max_output_tokens: 100000 })),
      post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi', max_tokens: 100000 }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);
    expect(replies.map((r) => r.text)).toEqual([
      expect.stringContaining('chat_template'),
      expect.stringContaining('litellm_system_prompt'),
      expect.stringContaining('fallbacks'),
      expect.stringContaining('max_output_tokens'),
      expect.stringContaining('max_tokens'),
    ]);
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });

  it('caps every token limit the call sets, and tells the policy the largest', async () => {
    await client.chat.completions.create(
      chat({
        max_completion_tokens: 10,
        max_tokens: 100000,
      }) as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
    );
    expect(provider.requests[0]!.body).toMatchObject({ max_completion_tokens: 64, max_tokens: 64 });
    expect(decisions(service.db).at(-1)?.input?.invocation).toMatchObject({ max_tokens: 100000 });
  });

  it('refuses a token limit that is not a positive integer, and more than one choice, with 400', async () => {
    const before = decisions(service.db).length;
    const replies = await Promise.all([
      post('/v1/chat/completions', chat({ max_tokens: '100000' })),
      post('/v1/chat/completions', chat({ max_completion_tokens: -5 })),
      post('/v1/chat/completions', chat({ max_tokens: 1.5 })),
      // The cap bounds one choice: n choices would each get it.
      post('/v1/chat/completions', chat({ n: 8 })),
      post('/v1/completions', { model: 'gpt-4o-mini', prompt: 'hi', best_of: 4 }),
      // Its usage would come later, from a route the guardrail is not called on.
      post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi', background: true }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400]);
    expect(replies.map((r) => r.text)).toEqual([
      expect.stringContaining('max_tokens must be a positive integer'),
      expect.stringContaining('max_completion_tokens must be a positive integer'),
      expect.stringContaining('max_tokens must be a positive integer'),
      expect.stringContaining('n must be 1'),
      expect.stringContaining('best_of must be 1'),
      expect.stringContaining('background responses are not served'),
    ]);
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);

    // One choice, said outright, is a call like any other.
    expect((await post('/v1/chat/completions', chat({ n: 1 }))).status).toBe(200);
    expect(provider.requests).toHaveLength(1);
  });

  it('names every name a tool carries, so that a denied tool cannot pass under another', async () => {
    // The Responses API reads a function tool's `name`; chat reads `function.name`.
    const hidden = await post('/v1/responses', {
      model: 'gpt-4o-mini',
      input: 'clean up',
      tools: [{ type: 'function', name: 'delete_database', function: { name: 'tickets.read' } }],
    });
    expect(hidden.status).toBe(403);
    expect(decisions(service.db).at(-1)).toMatchObject({
      outcome: 'denied',
      input: { invocation: { tools: [{ name: 'tickets.read' }, { name: 'delete_database' }] } },
    });
    expect(provider.requests).toHaveLength(0);
  });

  // Tools the model gets from a field other than `tools`: chat's web search, and the remote MCP servers of an
  // Anthropic call, whose tools the model calls at the provider. A policy that forbids them never saw them.
  it('names the tools a call grants outside `tools`: web_search_options, and MCP servers by type and name', async () => {
    await post('/v1/chat/completions', chat({ web_search_options: { search_context_size: 'low' } }));
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([{ name: 'web_search' }]);

    await anthropicMessages({
      messages: [{ role: 'user', content: 'clean up' }],
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'db-admin' }],
    });
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([
      { name: 'mcp' },
      { name: 'db-admin' },
    ]);
  });

  it('refuses an MCP server it cannot name with 400, before modelgate is asked', async () => {
    const before = decisions(service.db).length;
    const reply = await anthropicMessages({
      messages: [{ role: 'user', content: 'clean up' }],
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse' }],
    });
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('an MCP server without a name');
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });
});

// An operator's router_settings.fallbacks send a call that failed on one model to another, which the policy never
// decided on; the usage went to the first model's decision.
describe('fallbacks', () => {
  const calls: [string, string, Record<string, unknown>][] = [
    ['a chat call', '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }],
    ['a Responses call', '/v1/responses', { input: 'hi' }],
    ['an Anthropic call', '/v1/messages', { max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }],
    ['an embeddings call', '/v1/embeddings', { input: 'hi' }],
  ];
  it.each(calls)(
    'refuses %s the router would send to a fallback model; the backend never sees it',
    async (_name, path, body) => {
      // Precondition: the fallback model itself is served.
      expect((await post(path, { model: 'gpt-4o-mini', ...body })).status).toBe(200);
      provider.requests.length = 0;

      const reply = await post(path, { model: 'gpt-4o-mini-down', ...body });
      expect(provider.requests.map((r) => r.body.model)).toEqual([]);
      // The first model's own failure, and why its fallback was not called.
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.text).toContain(
        'LiteLLM would send the call to gpt-4o-mini, but modelgate decided on gpt-4o-mini-down',
      );
      expect(decisions(service.db).at(-1)).toMatchObject({ model: 'gpt-4o-mini-down', outcome: 'allowed' });
    },
  );
});

// These routes send content to the provider without any guardrail hook: LiteLLM counts tokens by asking the
// provider, and serves the Assistants API with the provider's credentials from the environment. The shipped
// config lets through only the routes the guardrail screens.
describe('routes the guardrail never sees', () => {
  const secret = [{ role: 'user', content: AWS_KEY }];
  const unseen: [string, Record<string, unknown>][] = [
    ['/v1/messages/count_tokens', { model: 'gpt-4o-mini', messages: secret }],
    ['/v1/responses/input_tokens', { model: 'gpt-4o-mini', input: AWS_KEY }],
    ['/utils/token_counter?call_endpoint=true', { model: 'gpt-4o-mini', messages: secret }],
    ['/v1/assistants', { custom_llm_provider: 'openai', model: 'gpt-4o-mini', instructions: AWS_KEY }],
    ['/v1/threads/thread_1/messages', { custom_llm_provider: 'openai', role: 'user', content: AWS_KEY }],
    [
      '/v1/threads/thread_1/runs',
      { custom_llm_provider: 'openai', assistant_id: 'asst_1', additional_instructions: AWS_KEY },
    ],
  ];
  it.each(unseen)('refuses %s with 403; the backend never sees it', async (path, body) => {
    // Precondition: the routes the guardrail screens are served.
    expect(
      (
        await post('/v1/chat/completions', {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        })
      ).status,
    ).toBe(200);
    provider.requests.length = 0;

    const before = decisions(service.db).length;
    const reply = await post(path, body);
    expect(provider.requests.map((r) => r.path)).toEqual([]);
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('not allowed');
    expect(decisions(service.db)).toHaveLength(before);
  });
});

describe('an anthropic-beta header, which LiteLLM passes on as provider_specific_header', () => {
  const call = { model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };

  it('passes when the operator screens that field, as Claude Code clients need', async () => {
    const reply = await postWith('/v1/messages', { 'anthropic-beta': 'prompt-caching-2024-07-31' }, call);
    expect(reply.status).toBe(200);
    expect(decisions(service.db).at(-1)?.outcome).toBe('allowed');
  });

  it('is screened like the rest: a secret in it is refused with 403 secret_in_payload', async () => {
    const reply = await postWith('/v1/messages', { 'anthropic-beta': `beta-${AWS_KEY}` }, call);
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('secret_in_payload');
    expect(provider.requests).toHaveLength(0);
  });
});
