import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import OpenAI from 'openai';
import { auditRow } from '../../test/helpers/audit-db';
import { FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from '../../test/helpers/fake-openai';
import { startGateService, waitForUsageReport } from '../../test/helpers/gate-service';
import type { TestService } from '../../test/helpers/service';
import { generateRsaKeyPair, signToken, standardClaims } from '../../test/helpers/tokens';
import { decisions } from '../testdata/decisions';
import { startGateway, type NginxGateway } from './nginx-gateway';

// nginx with njs in front of an OpenAI-compatible provider (test/helpers/fake-openai: a real HTTP server that
// records what it received), asking a real modelgate on the integration tests' gate policy
// (integrations/testdata/gate-policy: secrets and delete_database denied, refund_payment needs an approval,
// export_report carries a watermark obligation, emails and cards redacted, output capped at 64 tokens) before
// every call. The client is the official openai client, with the workload's JWT as its API key.
const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const AWS_KEY = 'AKIA' + 'Z7QH4K2M6XW3PLTR';
const WORKLOAD = 'spiffe://corp/support/reply-bot';
const PROVIDER_KEY = 'sk-provider-key-of-the-gateway';

let service: TestService;
let provider: FakeOpenAI;
let gateway: NginxGateway;
let jwt: string;
let client: OpenAI;
let serviceClosed = false;

beforeAll(async () => {
  [service, provider] = await Promise.all([startGateService(), startFakeOpenAI()]);
  gateway = await startGateway({
    modelgate: new URL(service.url).host,
    providerOrigin: new URL(provider.baseURL).origin,
    providerKey: PROVIDER_KEY,
  });
  jwt = service.token({ sub: WORKLOAD });
  client = new OpenAI({ apiKey: jwt, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([serviceClosed ? undefined : service?.close(), provider?.close()]);
});

beforeEach(() => {
  provider.requests.length = 0;
  provider.streamHold = undefined;
});

afterEach(() => {
  // An exception in modelgate.js is logged at "error" as `js exception:`, its catch-all as `js: modelgate gateway`.
  expect(gateway.errorLog()).not.toMatch(/\[error\].* js( exception)?:/);
});

type APIError = InstanceType<typeof OpenAI.APIError>;
interface ModelgatePart {
  decision_id: string | null;
  reasons: { code: string; message: string }[];
  approval?: { id: string; status: string };
}

/** The gateway's refusal of a call: the OpenAI client's error, and the `modelgate` part of its body. */
async function refused(call: Promise<unknown>): Promise<{ error: APIError; modelgate: ModelgatePart }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const body = (error as APIError).error as { modelgate?: ModelgatePart } | undefined;
  return { error: error as APIError, modelgate: body?.modelgate ?? { decision_id: null, reasons: [] } };
}

const codes = (part: ModelgatePart) => part.reasons.map((r) => r.code);

/** Every header the provider received, as one string: where a leaked token would show. */
function headersSent(index = 0): string {
  return JSON.stringify(provider.requests[index]?.headers ?? {});
}

/** A chat call to the gateway with fetch, for what the openai client would not send. */
function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('allowed calls reach the provider as modelgate cleared them', () => {
  it('sends the chat call with the email and card redacted and max_tokens capped, with the provider key, not the JWT', async () => {
    const { data: reply, response } = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        max_tokens: 1000,
        messages: [{ role: 'user', content: `Refund ${EMAIL}, card ${CARD}.` }],
      })
      .withResponse();
    expect(reply.choices[0]?.message.content).toBe('done');

    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({
      model: 'gpt-4o-mini',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Refund [REDACTED:email], card [REDACTED:credit_card].' }],
    });
    expect(sent.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(headersSent()).not.toContain(jwt.split('.')[1]);
    expect(headersSent()).not.toContain(jwt.split('.')[2]);

    const decision = decisions(service.db).at(-1)!;
    expect(decision).toMatchObject({
      outcome: 'allowed',
      subject: WORKLOAD,
      model: 'gpt-4o-mini',
      max_tokens: 64,
    });
    expect(decision.input?.payload?.findings).toMatchObject({ email: 1, credit_card: 1 });
    expect(sent.headers['x-modelgate-decision-id']).toBe(decision.decision_id);
    expect(response.headers.get('x-modelgate-decision-id')).toBe(decision.decision_id);
    expect(await waitForUsageReport(service.db, decision.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });

  it('screens tool calls and tool results whole, names the tools, and caps max_completion_tokens in place', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      max_completion_tokens: 500,
      tools: [{ type: 'function', function: { name: 'tickets.read', parameters: { type: 'object' } } }],
      messages: [
        { role: 'user', content: 'Read the ticket' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'tickets.read', arguments: JSON.stringify({ customer: EMAIL }) },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: `card on file: ${CARD}` },
      ],
    });
    const sent = provider.requests[0]!.body as {
      max_completion_tokens: number;
      max_tokens?: number;
      messages: { tool_calls?: { function: { arguments: string } }[]; content: string | null }[];
      tools: unknown[];
    };
    expect(sent.max_completion_tokens).toBe(64);
    expect(sent.max_tokens).toBeUndefined();
    expect(JSON.parse(sent.messages[1]!.tool_calls![0]!.function.arguments)).toEqual({
      customer: '[REDACTED:email]',
    });
    expect(sent.messages[2]!.content).toBe('card on file: [REDACTED:credit_card]');
    expect(sent.tools).toHaveLength(1);
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([{ name: 'tickets.read' }]);
  });

  it('redacts text completions, embeddings and Responses calls, each in its own fields', async () => {
    await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: `mail ${EMAIL}`,
      max_tokens: 300,
    });
    await client.embeddings.create({ model: 'text-embedding-3-small', input: [`mail ${EMAIL}`, 'plain'] });
    await client.responses.create({
      model: 'gpt-4o-mini',
      instructions: `Sign as ${EMAIL}`,
      input: [{ role: 'user', content: `charge ${CARD}` }],
      max_output_tokens: 900,
    });
    expect(provider.requests.map((r) => r.path)).toEqual([
      '/v1/completions',
      '/v1/embeddings',
      '/v1/responses',
    ]);
    expect(provider.requests[0]!.body).toMatchObject({ prompt: 'mail [REDACTED:email]', max_tokens: 64 });
    expect(provider.requests[1]!.body.input).toEqual(['mail [REDACTED:email]', 'plain']);
    expect(provider.requests[2]!.body).toMatchObject({
      instructions: 'Sign as [REDACTED:email]',
      input: [{ role: 'user', content: 'charge [REDACTED:credit_card]' }],
      max_output_tokens: 64,
    });
    const operations = decisions(service.db)
      .slice(-3)
      .map((d) => [d.outcome, d.input?.invocation?.operation]);
    expect(operations).toEqual([
      ['allowed', 'completion'],
      ['allowed', 'embedding'],
      ['allowed', 'chat'],
    ]);
    for (const request of provider.requests) expect(request.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  it('streams the reply through as it comes, and reports the usage of its last event', async () => {
    // Buffered by nginx, the first event would not reach the client until the provider ended the stream: the
    // provider holds the rest until the client has the first event, or gives up after 5 s.
    let heldTooLong = false;
    let timer: NodeJS.Timeout | undefined;
    let release!: () => void;
    provider.streamHold = new Promise<void>((resolve) => {
      release = resolve;
      timer = setTimeout(() => ((heldTooLong = true), resolve()), 5000);
    }).finally(() => clearTimeout(timer));
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: `mail ${EMAIL}` }],
    });
    const parts: string[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (text) parts.push(text);
      if (parts.length === 1) release();
    }
    expect(parts).toEqual(['do', 'ne']);
    expect(heldTooLong).toBe(false);
    expect(provider.requests[0]?.body).toMatchObject({
      stream: true,
      messages: [{ role: 'user', content: 'mail [REDACTED:email]' }],
    });
    const decision = decisions(service.db).at(-1)!;
    expect(await waitForUsageReport(service.db, decision.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });
});

describe('refused calls never reach the provider', () => {
  it('refuses a secret with 403, the reason and the decision id', async () => {
    const { error, modelgate } = await refused(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `use ${AWS_KEY}` }],
      }),
    );
    expect(error.status).toBe(403);
    expect(codes(modelgate)).toEqual(['secret_in_payload']);
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('denied');
    expect(modelgate.decision_id).toBe(decision.decision_id);
    expect(error.message).toContain('secret_in_payload');
    expect(error.message).toContain(decision.decision_id);
    expect(error.headers?.get('x-modelgate-decision-id')).toBe(decision.decision_id);
    expect(provider.requests).toHaveLength(0);
  });

  it('refuses a tool the policy forbids, named in any shape', async () => {
    const { error, modelgate } = await refused(
      client.responses.create({
        model: 'gpt-4o-mini',
        input: 'clean up',
        tools: [{ type: 'function', name: 'delete_database', parameters: {}, strict: false }],
      }),
    );
    expect(error.status).toBe(403);
    expect(codes(modelgate)).toEqual(['tool_not_allowed']);
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([{ name: 'delete_database' }]);

    // Legacy chat functions have a name and no type.
    const legacy = await refused(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'clean up' }],
        functions: [{ name: 'delete_database', parameters: { type: 'object' } }],
      }),
    );
    expect(legacy.error.status).toBe(403);
    expect(codes(legacy.modelgate)).toEqual(['tool_not_allowed']);
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([{ name: 'delete_database' }]);
    expect(provider.requests).toHaveLength(0);
  });

  it('refuses an allow whose obligation it cannot fulfil: 403 obligation_not_enforced', async () => {
    const { error, modelgate } = await refused(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        tools: [{ type: 'function', function: { name: 'export_report' } }],
        messages: [{ role: 'user', content: 'export it' }],
      }),
    );
    expect(error.status).toBe(403);
    expect(codes(modelgate)).toEqual(['obligation_not_enforced']);
    expect(modelgate.reasons[0]?.message).toContain('watermark');
    // modelgate allowed it (with the obligation) and recorded that; the gateway did not send it.
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('allowed');
    expect(modelgate.decision_id).toBe(decision.decision_id);
    expect(provider.requests).toHaveLength(0);
  });

  it('refuses a call that needs an approval, naming the approval and how to present it', async () => {
    const { error, modelgate } = await refused(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        tools: [{ type: 'function', function: { name: 'refund_payment' } }],
        messages: [{ role: 'user', content: 'refund order 42' }],
      }),
    );
    expect(error.status).toBe(403);
    expect(codes(modelgate)).toEqual(['approval_required']);
    const approval = modelgate.approval!;
    expect(approval).toMatchObject({ status: 'pending' });
    expect(error.message).toContain(`approval ${approval.id} is pending`);
    expect(error.message).toContain('X-Modelgate-Approval-Id');
    expect(provider.requests).toHaveLength(0);

    // A malformed approval id is refused before modelgate is asked.
    const before = decisions(service.db).length;
    const malformed = await refused(
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'refund order 42' }] },
        { headers: { 'x-modelgate-approval-id': 'not-an-approval' } },
      ),
    );
    expect(malformed.error.status).toBe(400);
    expect(malformed.error.message).toContain('must be the id (a UUID)');
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });

  it("answers 401 with modelgate's challenge for a token modelgate refuses, and records it", async () => {
    const other = generateRsaKeyPair();
    const forged = signToken({
      header: { alg: 'RS256', typ: 'JWT' },
      claims: standardClaims({ issuer: 'https://idp.test', audience: 'modelgate' }, { sub: WORKLOAD }),
      key: other.privateKey,
    });
    const forgedClient = new OpenAI({ apiKey: forged, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const { error, modelgate } = await refused(
      forgedClient.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(error.status).toBe(401);
    expect(error.headers?.get('www-authenticate')).toContain('error="invalid_token"');
    expect(codes(modelgate)).toEqual(['signature_invalid']);
    expect(auditRow(service.db, modelgate.decision_id!)).toMatchObject({ outcome: 'rejected', status: 401 });

    const anonymous = await post('/v1/chat/completions', '{"model":"m","messages":[]}', {
      authorization: '',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="modelgate"');
    expect(provider.requests).toHaveLength(0);
  });

  it('refuses a body over the limit with 413 before modelgate is asked', async () => {
    const before = decisions(service.db).length;
    const { error } = await refused(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }],
      }),
    );
    expect(error.status).toBe(413);
    expect(error.message).toContain('client_max_body_size');
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });

  it('refuses what it cannot screen or does not serve, before modelgate is asked', async () => {
    const before = decisions(service.db).length;
    const replies = await Promise.all([
      post('/v1/chat/completions', 'not json'),
      post('/v1/chat/completions', '{"model":"m"}'),
      post('/v1/completions', '{"model":"m","prompt":[1,2,3]}'),
      post('/v1/embeddings', '{"model":"m","input":[[1,2,3]]}'),
      post('/v1/chat/completions', '{"model":"m","messages":[],"tools":[{"type":"function","function":{}}]}'),
      post('/v1/chat/%63ompletions', '{"model":"m","messages":[]}'),
      post('/v1/files', '{}'),
      fetch(`${gateway.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${jwt}` } }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400, 404, 405]);
    for (const reply of replies) {
      expect(reply.headers.get('content-type')).toBe('application/json');
      const body = (await reply.json()) as { error: { message: string } };
      expect(body.error.message).toEqual(expect.any(String));
    }
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });
});

describe('a caller holding a valid token gets nothing past the gateway that modelgate did not clear', () => {
  /** The status and message of a refusal the gateway answered itself. */
  async function refusedBefore(reply: Response): Promise<{ status: number; message: string }> {
    const body = (await reply.json()) as { error: { message: string } };
    return { status: reply.status, message: body.error.message };
  }
  const chat = (extra: Record<string, unknown>) =>
    JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });

  // Each of these reaches the provider, most of them the model; none is in `messages`.
  const secretFields: [string, string, string][] = [
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
    ['metadata', '/v1/chat/completions', chat({ metadata: { note: AWS_KEY } })],
    ['stop sequences', '/v1/chat/completions', chat({ stop: [AWS_KEY] })],
    [
      "a Responses MCP tool's headers",
      '/v1/responses',
      JSON.stringify({
        model: 'gpt-4o-mini',
        input: 'hi',
        tools: [
          {
            type: 'mcp',
            server_label: 'docs',
            server_url: 'https://mcp.example/',
            headers: { Authorization: `Bearer ${AWS_KEY}` },
          },
        ],
      }),
    ],
    [
      "a Responses call's text format",
      '/v1/responses',
      JSON.stringify({
        model: 'gpt-4o-mini',
        input: 'hi',
        text: { format: { type: 'json_schema', name: 'r', schema: { description: AWS_KEY } } },
      }),
    ],
    [
      "an embeddings call's user",
      '/v1/embeddings',
      JSON.stringify({ model: 'text-embedding-3-small', input: 'hi', user: AWS_KEY }),
    ],
  ];
  it.each(secretFields)('refuses a secret in %s with 403 secret_in_payload', async (_name, path, body) => {
    const reply = await post(path, body);
    const part = ((await reply.json()) as { error: { modelgate: ModelgatePart } }).error.modelgate;
    expect(reply.status).toBe(403);
    expect(codes(part)).toEqual(['secret_in_payload']);
    expect(provider.requests).toHaveLength(0);
  });

  it('redacts every field it sends on, tool definitions and metadata too, and leaves their shape alone', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
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
      temperature: 0.2,
      stream: false,
    });
    expect(provider.requests[0]!.body).toEqual({
      model: 'gpt-4o-mini',
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
      temperature: 0.2,
      stream: false,
    });
    expect(decisions(service.db).at(-1)?.input?.payload?.findings).toMatchObject({
      email: 3,
      credit_card: 1,
    });
  });

  it('refuses a field it does not know with 400, before modelgate is asked', async () => {
    const before = decisions(service.db).length;
    const replies = await Promise.all([
      // vLLM reads both: retrieved documents and a chat template reach the model.
      post('/v1/chat/completions', chat({ documents: [{ text: AWS_KEY }] })),
      post('/v1/chat/completions', chat({ chat_template: `{{ "${AWS_KEY}" }}` })),
      // Token limits of another endpoint, which a lenient server may read.
      post('/v1/chat/completions', chat({ max_output_tokens: 100000 })),
      post('/v1/responses', JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', max_tokens: 100000 })),
      post('/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[],"__proto__":{"x":1}}'),
    ]);
    const refusals = await Promise.all(replies.map(refusedBefore));
    expect(refusals.map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);
    expect(refusals.map((r) => r.message)).toEqual([
      expect.stringContaining('documents'),
      expect.stringContaining('chat_template'),
      expect.stringContaining('max_output_tokens'),
      expect.stringContaining('max_tokens'),
      expect.stringContaining('__proto__'),
    ]);
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);
  });

  it('caps every token limit the call sets, and tells the policy the largest', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 10,
      max_tokens: 100000,
    });
    expect(provider.requests[0]!.body).toMatchObject({ max_completion_tokens: 64, max_tokens: 64 });
    const invocation = decisions(service.db).at(-1)?.input?.invocation as { max_tokens?: number };
    expect(invocation.max_tokens).toBe(100000);
  });

  it('refuses a token limit that is not a positive integer, and more than one choice, with 400', async () => {
    const before = decisions(service.db).length;
    const replies = await Promise.all([
      post('/v1/chat/completions', chat({ max_tokens: '100000' })),
      post('/v1/chat/completions', chat({ max_completion_tokens: -5 })),
      post('/v1/chat/completions', chat({ max_tokens: 0 })),
      post('/v1/chat/completions', chat({ max_tokens: 1.5 })),
      // The cap bounds one choice: n choices would each get it.
      post('/v1/chat/completions', chat({ n: 8 })),
      post('/v1/completions', JSON.stringify({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi', best_of: 4 })),
      post('/v1/chat/completions', chat({ model: ['gpt-4o-mini'] })),
      // Its usage would come later, from GET /v1/responses/{id}, which the gateway does not serve.
      post('/v1/responses', JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', background: true })),
    ]);
    const refusals = await Promise.all(replies.map(refusedBefore));
    expect(refusals.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400]);
    expect(refusals.map((r) => r.message)).toEqual([
      expect.stringContaining('max_tokens'),
      expect.stringContaining('max_completion_tokens'),
      expect.stringContaining('max_tokens'),
      expect.stringContaining('max_tokens'),
      expect.stringContaining('n must be 1'),
      expect.stringContaining('best_of must be 1'),
      expect.stringContaining('model'),
      expect.stringContaining('background responses are not served'),
    ]);
    expect(decisions(service.db)).toHaveLength(before);
    expect(provider.requests).toHaveLength(0);

    // One choice, said outright, is a call like any other.
    await post('/v1/chat/completions', chat({ n: 1 }));
    expect(provider.requests).toHaveLength(1);
  });

  it('names every name a tool carries, so that a denied tool cannot pass under another', async () => {
    // The Responses API reads a function tool's `name`; chat reads `function.name`. A server that ignores the key
    // it does not expect runs delete_database.
    const hidden = await post(
      '/v1/responses',
      JSON.stringify({
        model: 'gpt-4o-mini',
        input: 'clean up',
        tools: [{ type: 'function', name: 'delete_database', function: { name: 'tickets.read' } }],
      }),
    );
    expect(hidden.status).toBe(403);
    expect(decisions(service.db).at(-1)).toMatchObject({
      outcome: 'denied',
      input: { invocation: { tools: [{ name: 'tickets.read' }, { name: 'delete_database' }] } },
    });
    // A built-in tool is what its type says, whatever name it is given; a namespace is its name and its tools.
    await post(
      '/v1/responses',
      JSON.stringify({
        model: 'gpt-4o-mini',
        input: 'hi',
        tools: [
          { type: 'web_search', name: 'tickets.read' },
          { type: 'namespace', name: 'orders', tools: [{ type: 'function', name: 'lookup_order' }] },
        ],
      }),
    );
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([
      { name: 'tickets.read' },
      { name: 'web_search' },
      { name: 'orders' },
      { name: 'lookup_order' },
    ]);
    expect(provider.requests).toHaveLength(1);

    // Chat's web_search_options grants web search without a tool in tools.
    await post('/v1/chat/completions', chat({ web_search_options: {} }));
    expect(decisions(service.db).at(-1)?.input?.invocation?.tools).toEqual([{ name: 'web_search' }]);
  });

  it("sends the provider only the gateway's own headers, none of the caller's", async () => {
    const reply = await post('/v1/chat/completions', chat({}), {
      // Which organization and project the gateway's key acts and bills in is the gateway's to say.
      'OpenAI-Organization': 'org-someone-else',
      'OpenAI-Project': 'proj_unrestricted',
      cookie: 'session=abc',
      'proxy-authorization': 'Basic dXNlcjpwYXNz',
      'x-http-method-override': 'DELETE',
      'api-key': 'sk-another-key',
      'user-agent': `agent ${AWS_KEY}`,
      'x-forwarded-for': '10.0.0.1',
    });
    expect(reply.status).toBe(200);
    expect(Object.keys(provider.requests[0]!.headers).sort()).toEqual([
      'authorization',
      'content-length',
      'content-type',
      'host',
      'x-modelgate-decision-id',
    ]);
  });

  it('refuses a query string with 400: the provider would read it, modelgate never sees it', async () => {
    const reply = await post('/v1/chat/completions?api-version=2024-10-21', chat({}));
    expect(reply.status).toBe(400);
    expect((await refusedBefore(reply)).message).toContain('query');
    expect(provider.requests).toHaveLength(0);
  });
});

describe('when modelgate cannot decide, the call fails closed with 503', () => {
  // A stand-in for modelgate that answers what modelgate never would: the gateway must not send the call on any of
  // these. modelgate itself is not faked anywhere else in this file.
  let broken: Server;
  let answer: (res: import('node:http').ServerResponse) => void;
  let brokenGateway: NginxGateway;
  let brokenClient: OpenAI;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    broken = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    broken.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    brokenGateway = await startGateway({
      modelgate: `127.0.0.1:${(broken.address() as AddressInfo).port}`,
      providerOrigin: new URL(provider.baseURL).origin,
      providerKey: PROVIDER_KEY,
    });
    brokenClient = new OpenAI({ apiKey: jwt, baseURL: `${brokenGateway.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await brokenGateway?.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => broken?.close(resolve));
  });

  const json = (status: number, body: unknown) => (res: import('node:http').ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const allow = {
    decision_id: '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f',
    allow: true,
    reasons: [],
    obligations: [],
  };
  const cases: [string, (res: import('node:http').ServerResponse) => void, string][] = [
    [
      'a 500',
      json(500, { allow: false, reasons: [{ code: 'internal_error' }] }),
      'could not decide (HTTP 500)',
    ],
    ['a 200 that is not JSON', (res) => res.end('<html>ok</html>'), 'did not answer (HTTP 200)'],
    ['a 200 whose JSON is not a decision', json(200, { result: true }), 'could not decide (HTTP 200)'],
    ['an allow spelled as a string', json(200, { ...allow, allow: 'true' }), 'could not decide (HTTP 200)'],
    ['an allow without the redacted content', json(200, allow), 'without the redacted content'],
  ];
  it.each(cases)('%s', async (_name, reply, message) => {
    answer = reply;
    const { error } = await refused(
      brokenClient.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(error.status).toBe(503);
    expect(error.message).toContain(message);
    expect(provider.requests).toHaveLength(0);
  });

  it('a modelgate that never answers: 503 after the 5 s read timeout', async () => {
    answer = () => undefined;
    const started = Date.now();
    const { error } = await refused(
      brokenClient.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(error.status).toBe(503);
    expect(error.message).toContain('did not answer (HTTP 504)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
    expect(provider.requests).toHaveLength(0);
  }, 30_000);

  it('modelgate down: 503 and the provider is not called', async () => {
    await service.close();
    serviceClosed = true;
    const { error } = await refused(
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      }),
    );
    expect(error.status).toBe(503);
    expect(error.message).toContain('modelgate did not answer (HTTP 502)');
    expect(provider.requests).toHaveLength(0);
  });
});
