import OpenAI from 'openai';
import {
  guardOpenAI,
  ModelgateClient,
  ModelgateClientError,
  ModelgateDenied,
  type GuardOptions,
} from '../../src/client';
import { auditCount, auditRow, lastDecisionId } from '../helpers/audit-db';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai';
import { startGateService } from '../helpers/gate-service';
import type { TestService } from '../helpers/service';

// What reaches the model besides each message's text (tool calls' arguments, legacy function calls, tool results,
// Responses items of every type, prompt variables) is screened and sent redacted, and every tool the call offers,
// in each shape OpenAI has, is named to the policy. Same data as openai-guard.test.ts.
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

function guarded(options: GuardOptions = {}) {
  const modelgate = new ModelgateClient({
    baseUrl: service.url,
    token: () => service.token({ sub: 'spiffe://corp/agents/ops-bot' }),
  });
  return guardOpenAI(openai, modelgate, options);
}

async function denied(call: Promise<unknown>): Promise<ModelgateDenied> {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelgateDenied);
  return error as ModelgateDenied;
}

/** The policy input modelgate recorded for a decision: what the policy decided on. */
function policyInput(decisionId: string) {
  return auditRow(service.db, decisionId)?.record.input as {
    invocation: { tools?: { name: string }[] };
    payload: { findings: Record<string, number> };
  };
}

const toolCall = (args: string): OpenAI.Chat.ChatCompletionMessageParam => ({
  role: 'assistant',
  content: null,
  tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: args } }],
});

describe('chat.completions.create: everything a message carries is screened', () => {
  it('refuses a secret in a tool call’s arguments with secret_in_payload; the model is never called', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'deploy the service' },
      toolCall(JSON.stringify({ aws_access_key_id: AWS_KEY })),
      { role: 'tool', tool_call_id: 'call_1', content: 'deployed' },
    ];
    // Precondition: the message texts alone hold no secret, so the deny can only come from the arguments.
    expect(messages.map((m) => JSON.stringify(m.content)).join()).not.toContain(AWS_KEY);

    const error = await denied(guarded().chat.completions.create({ model: 'gpt-test', messages }));
    expect(error.reasons.map((r) => r.code)).toEqual(['secret_in_payload']);
    expect(auditRow(service.db, error.decisionId!)?.outcome).toBe('denied');
    expect(policyInput(error.decisionId!).payload.findings).toEqual({ aws_access_key: 1 });
    expect(provider.requests).toHaveLength(0);
  });

  it('sends tool call arguments, a legacy function call, tool results and the prediction redacted, ids kept', async () => {
    await guarded().chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'user', content: 'who ordered 42?' },
        toolCall(JSON.stringify({ notify: EMAIL })),
        { role: 'tool', tool_call_id: 'call_1', content: `paid with ${CARD}` },
        { role: 'assistant', content: null, function_call: { name: 'mail', arguments: `{"to":"${EMAIL}"}` } },
        { role: 'function', name: 'mail', content: `sent to ${EMAIL}` },
      ],
      prediction: { type: 'content', content: `Order 42 was placed by ${EMAIL}` },
    });
    expect(provider.requests).toHaveLength(1);
    const sent = JSON.stringify(provider.requests[0]!.body);
    expect(sent).not.toContain(EMAIL);
    expect(sent).not.toContain(CARD);
    expect(provider.requests[0]!.body).toMatchObject({
      messages: [
        { role: 'user', content: 'who ordered 42?' },
        {
          role: 'assistant',
          tool_calls: [
            {
              id: 'call_1',
              function: { name: 'lookup_order', arguments: '{"notify":"[REDACTED:email]"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'paid with [REDACTED:credit_card]' },
        { role: 'assistant', function_call: { name: 'mail', arguments: '{"to":"[REDACTED:email]"}' } },
        { role: 'function', name: 'mail', content: 'sent to [REDACTED:email]' },
      ],
      prediction: { type: 'content', content: 'Order 42 was placed by [REDACTED:email]' },
    });
  });

  // An obligation of the policy's own that nobody fulfils was dropped: the call went out as a plain allow.
  it('refuses an allow whose obligation it cannot fulfil, unless the caller says it does', async () => {
    const call = (options?: GuardOptions) =>
      guarded(options).chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'the quarterly numbers' }],
        tools: [{ type: 'function', function: { name: 'export_report' } }],
      });
    const error = await denied(call());
    expect(error.reasons).toEqual([
      { code: 'obligation_not_enforced', message: expect.stringContaining('watermark obligation') },
    ]);
    expect(provider.requests).toHaveLength(0);
    await call({ acceptObligations: ['watermark'] });
    expect(provider.requests).toHaveLength(1);
  });

  it('names legacy functions to the policy: a forbidden one is denied tool_not_allowed', async () => {
    const error = await denied(
      guarded().chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'clean up' }],
        tools: [{ type: 'function', function: { name: 'lookup_order' } }],
        functions: [{ name: 'delete_database', parameters: { type: 'object' } }],
      }),
    );
    expect(error.reasons.map((r) => r.code)).toEqual(['tool_not_allowed']);
    expect(policyInput(error.decisionId!).invocation.tools).toEqual([
      { name: 'lookup_order' },
      { name: 'delete_database' },
    ]);
    expect(provider.requests).toHaveLength(0);
  });
  it('refuses a tool it cannot name, before asking modelgate', async () => {
    const before = auditCount(service.db);
    const unnamed = { type: 'function', function: {} } as unknown as OpenAI.Chat.ChatCompletionTool;
    const error = await guarded()
      .chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [unnamed],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateClientError);
    expect((error as Error).message).toContain('a tool without a name');
    expect(auditCount(service.db)).toBe(before);
    expect(provider.requests).toHaveLength(0);
  });
});

describe('responses.create: every input item and every tool', () => {
  it('names function tools to the policy: a forbidden one is denied tool_not_allowed', async () => {
    const error = await denied(
      guarded().responses.create({
        model: 'gpt-test',
        input: 'clean up',
        tools: [{ type: 'function', name: 'delete_database', parameters: { type: 'object' }, strict: false }],
      }),
    );
    expect(error.reasons.map((r) => r.code)).toEqual(['tool_not_allowed']);
    expect(provider.requests).toHaveLength(0);
  });

  it('names built-in tools by their type and the tools a namespace groups', async () => {
    await guarded().responses.create({
      model: 'gpt-test',
      input: 'find order 42',
      tools: [
        { type: 'web_search' },
        {
          type: 'namespace',
          name: 'orders',
          description: 'order tools',
          tools: [{ type: 'function', name: 'lookup_order' }],
        },
      ],
    });
    expect(provider.requests).toHaveLength(1);
    expect(policyInput(lastDecisionId(service.db)).invocation.tools).toEqual([
      { name: 'web_search' },
      { name: 'orders' },
      { name: 'lookup_order' },
    ]);
  });

  it('sends function calls, their outputs and prompt variables redacted', async () => {
    await guarded().responses.create({
      model: 'gpt-test',
      instructions: 'You look up orders.',
      prompt: { id: 'pmpt_orders', variables: { customer: EMAIL } },
      input: [
        { role: 'user', content: 'who ordered 42?' },
        { type: 'function_call', call_id: 'call_1', name: 'lookup_order', arguments: `{"by":"${EMAIL}"}` },
        { type: 'function_call_output', call_id: 'call_1', output: `paid with ${CARD}` },
      ],
    });
    expect(provider.requests).toHaveLength(1);
    const sent = JSON.stringify(provider.requests[0]!.body);
    expect(sent).not.toContain(EMAIL);
    expect(sent).not.toContain(CARD);
    expect(provider.requests[0]!.body).toMatchObject({
      instructions: 'You look up orders.',
      prompt: { id: 'pmpt_orders', variables: { customer: '[REDACTED:email]' } },
      input: [
        { role: 'user', content: 'who ordered 42?' },
        { type: 'function_call', call_id: 'call_1', arguments: '{"by":"[REDACTED:email]"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'paid with [REDACTED:credit_card]' },
      ],
    });
  });

  it('refuses a secret in a function call output; the model is never called', async () => {
    const error = await denied(
      guarded().responses.create({
        model: 'gpt-test',
        input: [{ type: 'function_call_output', call_id: 'call_1', output: `key ${AWS_KEY}` }],
      }),
    );
    expect(error.reasons.map((r) => r.code)).toEqual(['secret_in_payload']);
    expect(provider.requests).toHaveLength(0);
  });
});
