import OpenAI from 'openai';
import { FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from '../../test/helpers/fake-openai';
import { startGateService, waitForUsageReport } from '../../test/helpers/gate-service';
import type { TestService } from '../../test/helpers/service';
import { startTricklingServer } from '../../test/helpers/trickling-server';
import { decisions } from '../testdata/decisions';
import { MASTER_KEY, startLitellmProxy, type LitellmProxy } from './litellm-proxy';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const AWS_KEY = 'AKIA' + 'Z7QH4K2M6XW3PLTR';
const PROXY_ID = 'spiffe://corp/gateway/litellm';

let service: TestService;
let provider: FakeOpenAI;
let proxy: LitellmProxy;
let client: OpenAI;
let serviceClosed = false;

beforeAll(async () => {
  [service, provider] = await Promise.all([startGateService(), startFakeOpenAI()]);
  proxy = await startLitellmProxy({
    providerURL: provider.baseURL,
    modelgateURL: service.url,
    token: service.token({ sub: PROXY_ID }),
  });
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: proxy.url, maxRetries: 0 });
}, 300_000);

afterAll(async () => {
  proxy?.stop();
  await Promise.all([serviceClosed ? undefined : service?.close(), provider?.close()]);
});

beforeEach(() => {
  provider.requests.length = 0;
});

describe('modelgate guardrail in the real LiteLLM proxy', () => {
  it('redacts the email and the card and caps max_tokens before the backend sees the call, then reports usage', async () => {
    const reply = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 1000,
      messages: [{ role: 'user', content: `Refund ${EMAIL}, card ${CARD}.` }],
    });
    expect(reply.choices[0]?.message.content).toBe('done');
    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!.body as { messages: { content: string }[]; max_tokens: number };
    expect(sent.messages[0]?.content).toBe('Refund [REDACTED:email], card [REDACTED:credit_card].');
    expect(sent.max_tokens).toBe(64);

    const decision = decisions(service.db).at(-1)!;
    expect(decision).toMatchObject({
      outcome: 'allowed',
      subject: PROXY_ID,
      model: 'gpt-4o-mini',
      max_tokens: 64,
    });
    expect(await waitForUsageReport(service.db, decision.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });

  it('redacts embedding input', async () => {
    await client.embeddings.create({ model: 'text-embedding-3-small', input: [`mail ${EMAIL}`] });
    expect(provider.requests[0]?.body.input).toEqual(['mail [REDACTED:email]']);
  });

  // LiteLLM asks the provider for a streamed call's usage itself, marking the call with a field of its own
  // (_litellm_strip_stream_usage) that the guardrail refused as one it would pass on unscreened.
  it('serves a streamed chat that does not ask for usage, redacted and capped, and reports its usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 1000,
      stream: true,
      messages: [{ role: 'user', content: `Refund ${EMAIL}.` }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('done');
    expect(provider.requests[0]!.body).toMatchObject({
      messages: [{ role: 'user', content: 'Refund [REDACTED:email].' }],
      max_tokens: 64,
    });
    expect(provider.requests[0]!.body).not.toHaveProperty('_litellm_strip_stream_usage');
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('allowed');
    expect(await waitForUsageReport(service.db, decision.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });

  it('refuses a secret with the reason and the decision id; the backend never sees it', async () => {
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `use ${AWS_KEY}` }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    const message = (error as InstanceType<typeof OpenAI.APIError>).message;
    expect(message).toContain('secret_in_payload');
    const decision = decisions(service.db).at(-1)!;
    expect(decision.outcome).toBe('denied');
    expect(message).toContain(decision.decision_id);
    expect(provider.requests).toHaveLength(0);
  });

  // A read timeout fires only when nothing arrives for that long: a modelgate that sends its answer a byte at a
  // time held the call, and a thread of the proxy, for as long as it went on.
  it('fails closed when modelgate trickles its answer: refused with 503 within its 5 s deadline', async () => {
    const trickling = await startTricklingServer();
    const slowProxy = await startLitellmProxy({
      providerURL: provider.baseURL,
      modelgateURL: trickling.url,
      token: service.token({ sub: PROXY_ID }),
    });
    try {
      const slowClient = new OpenAI({
        apiKey: MASTER_KEY,
        baseURL: slowProxy.url,
        maxRetries: 0,
        timeout: 60_000,
      });
      const started = Date.now();
      const error = await slowClient.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain(
        'modelgate did not answer within 5 s',
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(provider.requests).toHaveLength(0);
    } finally {
      slowProxy.stop();
      await trickling.close();
    }
  }, 300_000);

  it('fails closed when modelgate is down: the call is refused and the backend never sees it', async () => {
    await service.close();
    serviceClosed = true;
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('modelgate did not answer');
    expect(provider.requests).toHaveLength(0);
  });
});
