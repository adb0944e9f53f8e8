import OpenAI from 'openai';
import { guardOpenAI, ModelgateClient, ModelgateClientError, ModelgateDenied } from '../../src/client';
import { auditCount, auditRow, lastDecisionId } from '../helpers/audit-db';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai';
import { startGateService } from '../helpers/gate-service';
import type { TestService } from '../helpers/service';

// What reaches the provider besides the content: tool definitions, response schemas, metadata, stop sequences,
// `user`, a Responses text format, an MCP tool's headers. Each is screened and sent redacted; every token limit is
// capped; one choice only; a tool is named by every name it carries. The nginx gateway's adversarial review found
// each of these; the same data as openai-guard.test.ts.
const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const AWS_KEY = 'AKIA' + 'Z7QH4K2M6XW3PLTR';

let service: TestService;
let provider: FakeOpenAI;
let openai: OpenAI;

beforeAll(async () => {
  [service, provider] = await Promise.all([startGateService(), startFakeOpenAI()]);
  openai = new OpenAI({ apiKey: 'sk-fake-provider-key', baseURL: provider.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await Promise.all([service?.close(), provider?.close()]);
});

beforeEach(() => {
  provider.requests.length = 0;
});

function guarded() {
  const modelgate = new ModelgateClient({
    baseUrl: service.url,
    token: () => service.token({ sub: 'spiffe://corp/agents/ops-bot' }),
  });
  return guardOpenAI(openai, modelgate);
}

/** The policy input modelgate recorded for a decision: what the policy decided on. */
function policyInput(decisionId: string) {
  return auditRow(service.db, decisionId)?.record.input as {
    invocation: { max_tokens?: number; tools?: { name: string }[] };
    payload: { findings: Record<string, number> };
  };
}

/** The error a call was refused with by the guard itself: modelgate was not asked, the model not called. */
async function refusedBeforeAsking(call: () => Promise<unknown>): Promise<ModelgateClientError> {
  const before = auditCount(service.db);
  const error = await call().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelgateClientError);
  expect(auditCount(service.db)).toBe(before);
  expect(provider.requests).toHaveLength(0);
  return error as ModelgateClientError;
}

type Chat = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
const chat = (extra: Partial<Chat>): Chat => ({
  model: 'gpt-test',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
type Responses = OpenAI.Responses.ResponseCreateParamsNonStreaming;
const responses = (extra: Partial<Responses>): Responses => ({ model: 'gpt-test', input: 'hi', ...extra });

// Each of these reaches the provider, most of them the model; none of them is content. `call(text)` puts `text`
// in that parameter only.
const secretParams: [string, (guard: ReturnType<typeof guarded>, text: string) => Promise<unknown>][] = [
  [
    "a chat tool's description",
    (g, text) =>
      g.chat.completions.create(
        chat({
          tools: [{ type: 'function', function: { name: 'tickets.read', description: `key ${text}` } }],
        }),
      ),
  ],
  [
    "a chat tool's parameters schema",
    (g, text) =>
      g.chat.completions.create(
        chat({
          tools: [
            {
              type: 'function',
              function: {
                name: 'tickets.read',
                parameters: { type: 'object', properties: { id: { type: 'string', default: text } } },
              },
            },
          ],
        }),
      ),
  ],
  [
    'a response_format json schema',
    (g, text) =>
      g.chat.completions.create(
        chat({
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'reply', schema: { type: 'object', description: text } },
          },
        }),
      ),
  ],
  ['metadata', (g, text) => g.chat.completions.create(chat({ metadata: { note: text } }))],
  ['stop sequences', (g, text) => g.chat.completions.create(chat({ stop: [text] }))],
  ["a chat call's user", (g, text) => g.chat.completions.create(chat({ user: text }))],
  [
    "a Responses call's text format schema",
    (g, text) =>
      g.responses.create(
        responses({ text: { format: { type: 'json_schema', name: 'r', schema: { description: text } } } }),
      ),
  ],
  [
    "a Responses MCP tool's headers",
    (g, text) =>
      g.responses.create(
        responses({
          tools: [
            {
              type: 'mcp',
              server_label: 'docs',
              server_url: 'https://mcp.example/',
              headers: { Authorization: `Bearer ${text}` },
            },
          ],
        }),
      ),
  ],
  [
    "an embeddings call's user",
    (g, text) => g.embeddings.create({ model: 'embed-test', input: 'hi', user: text }),
  ],
];

describe('every parameter the provider reads is screened, not only the content', () => {
  it.each(secretParams)('refuses a secret in %s with secret_in_payload', async (_name, call) => {
    // Precondition: the same call with a harmless value there goes through, so only the secret can deny it.
    await call(guarded(), 'plain words');
    expect(provider.requests).toHaveLength(1);
    provider.requests.length = 0;

    const error = await call(guarded(), AWS_KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateDenied);
    const denied = error as ModelgateDenied;
    expect(denied.reasons.map((r) => r.code)).toEqual(['secret_in_payload']);
    expect(policyInput(denied.decisionId!).payload.findings).toEqual({ aws_access_key: 1 });
    expect(provider.requests).toHaveLength(0);
  });

  it('sends every chat parameter redacted, tool definitions and metadata too, their shape kept', async () => {
    await guarded().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      user: EMAIL,
      metadata: { customer: EMAIL },
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
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'reply', schema: { type: 'object', description: `for ${EMAIL}` } },
      },
      temperature: 0.2,
      n: 1,
      stream: false,
    });
    expect(provider.requests[0]!.body).toEqual({
      model: 'gpt-test',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
      user: '[REDACTED:email]',
      metadata: { customer: '[REDACTED:email]' },
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
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'reply', schema: { type: 'object', description: 'for [REDACTED:email]' } },
      },
      temperature: 0.2,
      n: 1,
      stream: false,
    });
    expect(policyInput(lastDecisionId(service.db)).payload.findings).toMatchObject({
      email: 4,
      credit_card: 1,
    });
  });

  it('sends a Responses text format and an MCP tool’s headers redacted', async () => {
    await guarded().responses.create({
      model: 'gpt-test',
      input: 'hi',
      metadata: { customer: EMAIL },
      text: { format: { type: 'json_schema', name: 'r', schema: { description: `for ${EMAIL}` } } },
      tools: [
        {
          type: 'mcp',
          server_label: 'docs',
          server_url: 'https://mcp.example/',
          headers: { 'X-Customer': EMAIL },
        },
      ],
    });
    expect(provider.requests[0]!.body).toEqual({
      model: 'gpt-test',
      max_output_tokens: 64,
      input: 'hi',
      metadata: { customer: '[REDACTED:email]' },
      text: { format: { type: 'json_schema', name: 'r', schema: { description: 'for [REDACTED:email]' } } },
      tools: [
        {
          type: 'mcp',
          server_label: 'docs',
          server_url: 'https://mcp.example/',
          headers: { 'X-Customer': '[REDACTED:email]' },
        },
      ],
    });
  });

  it("sends an embeddings call's user redacted, its other parameters as set", async () => {
    await guarded().embeddings.create({
      model: 'embed-test',
      input: `mail ${EMAIL}`,
      user: EMAIL,
      dimensions: 3,
      encoding_format: 'float',
    });
    expect(provider.requests[0]!.body).toEqual({
      model: 'embed-test',
      input: 'mail [REDACTED:email]',
      user: '[REDACTED:email]',
      dimensions: 3,
      encoding_format: 'float',
    });
  });
});

describe('every token limit is capped', () => {
  it('caps each limit the call sets, and tells the policy the largest', async () => {
    await guarded().chat.completions.create(chat({ max_completion_tokens: 10, max_tokens: 100000 }));
    expect(provider.requests[0]!.body).toMatchObject({ max_completion_tokens: 64, max_tokens: 64 });
    expect(policyInput(lastDecisionId(service.db)).invocation.max_tokens).toBe(100000);
  });

  it.each<Partial<Chat>>([
    { max_tokens: '100000' as unknown as number },
    { max_completion_tokens: -5 },
    { max_tokens: 0 },
    { max_tokens: 1.5 },
    // Every limit is checked, not only the one the policy is told.
    { max_tokens: 100, max_completion_tokens: 1.5 },
  ])('refuses %j, not a positive integer, before asking modelgate', async (limit) => {
    const field = Object.entries(limit).find(
      ([, value]) => typeof value !== 'number' || !Number.isInteger(value) || value < 1,
    )![0];
    const error = await refusedBeforeAsking(() => guarded().chat.completions.create(chat(limit)));
    expect(error.message).toBe(`${field} must be a positive integer`);
  });

  it('refuses a Responses max_output_tokens that is not a positive integer', async () => {
    const error = await refusedBeforeAsking(() =>
      guarded().responses.create(responses({ max_output_tokens: '500' as unknown as number })),
    );
    expect(error.message).toBe('max_output_tokens must be a positive integer');
  });

  // A lenient OpenAI-compatible server may read another endpoint's limit, which the cap would not replace.
  it("refuses another endpoint's token limit, before asking modelgate", async () => {
    const onChat = await refusedBeforeAsking(() =>
      guarded().chat.completions.create(chat({ max_output_tokens: 100000 } as Partial<Chat>)),
    );
    expect(onChat.message).toContain('max_output_tokens');
    for (const limit of [{ max_tokens: 100000 }, { max_completion_tokens: 100000 }]) {
      const onResponses = await refusedBeforeAsking(() =>
        guarded().responses.create(responses(limit as Partial<Responses>)),
      );
      expect(onResponses.message).toContain(Object.keys(limit)[0]);
    }
  });
});

describe('one choice', () => {
  it('refuses n other than 1: the cap bounds one choice, n choices would each get it', async () => {
    const error = await refusedBeforeAsking(() => guarded().chat.completions.create(chat({ n: 8 })));
    expect(error.message).toContain('n must be 1');

    // One choice, said outright or left to the default, is a call like any other.
    await guarded().chat.completions.create(chat({ n: 1 }));
    await guarded().chat.completions.create(chat({ n: null }));
    expect(provider.requests).toHaveLength(2);
  });
});

describe('a tool is named by every name it carries', () => {
  // Chat reads `function.name`, the Responses API `name`: a server that ignores the key it does not expect runs
  // delete_database.
  it.each<[string, () => Promise<unknown>]>([
    [
      'Responses',
      () =>
        guarded().responses.create(
          responses({
            tools: [
              {
                type: 'function',
                name: 'delete_database',
                function: { name: 'tickets.read' },
              } as unknown as OpenAI.Responses.Tool,
            ],
          }),
        ),
    ],
    [
      'chat',
      () =>
        guarded().chat.completions.create(
          chat({
            tools: [
              {
                type: 'function',
                name: 'delete_database',
                function: { name: 'tickets.read' },
              } as unknown as OpenAI.Chat.ChatCompletionTool,
            ],
          }),
        ),
    ],
  ])('denies a %s tool that hides delete_database beside another name', async (_api, call) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateDenied);
    const denied = error as ModelgateDenied;
    expect(denied.reasons.map((r) => r.code)).toEqual(['tool_not_allowed']);
    expect(policyInput(denied.decisionId!).invocation.tools).toEqual([
      { name: 'tickets.read' },
      { name: 'delete_database' },
    ]);
    expect(provider.requests).toHaveLength(0);
  });

  it('names a built-in tool by its type whatever name it is given, a namespace by its name and tools', async () => {
    await guarded().responses.create(
      responses({
        tools: [
          { type: 'web_search', name: 'tickets.read' } as unknown as OpenAI.Responses.Tool,
          {
            type: 'namespace',
            name: 'orders',
            description: 'orders',
            tools: [{ type: 'function', name: 'lookup_order' }],
          },
        ],
      }),
    );
    expect(provider.requests).toHaveLength(1);
    expect(policyInput(lastDecisionId(service.db)).invocation.tools).toEqual([
      { name: 'tickets.read' },
      { name: 'web_search' },
      { name: 'orders' },
      { name: 'lookup_order' },
    ]);
  });

  it('names web search when a chat call grants it through web_search_options, outside tools', async () => {
    await guarded().chat.completions.create(chat({ web_search_options: { search_context_size: 'low' } }));
    expect(provider.requests).toHaveLength(1);
    expect(policyInput(lastDecisionId(service.db)).invocation.tools).toEqual([{ name: 'web_search' }]);
  });

  it.each<[string, unknown]>([
    ['a name that is not a string', { type: 'function', name: 42, function: { name: 'tickets.read' } }],
    ['an empty custom name', { type: 'function', function: { name: 'tickets.read' }, custom: { name: '' } }],
    ['a type that is not a string', { type: 7, name: 'tickets.read' }],
  ])('refuses a tool with %s beside a good one, before asking modelgate', async (_name, tool) => {
    const error = await refusedBeforeAsking(() =>
      guarded().chat.completions.create(chat({ tools: [tool as OpenAI.Chat.ChatCompletionTool] })),
    );
    expect(error.message).toContain('must be a non-empty string');
  });

  it('refuses tools that are not a list, before asking modelgate', async () => {
    const error = await refusedBeforeAsking(() =>
      guarded().chat.completions.create(
        chat({ tools: { type: 'function' } as unknown as OpenAI.Chat.ChatCompletionTool[] }),
      ),
    );
    expect(error.message).toBe('tools must be a list for the policy to check it');
  });
});
