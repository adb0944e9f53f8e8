import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { guardOpenAI, ModelgateClient, ModelgateDenied, ModelgateUnavailable } from '../../src/client';
import { auditCount, auditRow } from '../helpers/audit-db';
import { FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai';
import { startGateService, usageReport } from '../helpers/gate-service';
import type { TestService } from '../helpers/service';

// Test data that the screening detectors recognise: a documentation email, a Luhn-valid test card,
// and an AWS-shaped access key id (not AWS's documented example, which screening ignores).
const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const AWS_KEY = 'AKIA' + 'Z7QH4K2M6XW3PLTR';

let service: TestService;
let provider: FakeOpenAI;
let openai: OpenAI;
let tokensIssued = 0;

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

function guarded(options: { baseUrl?: string; timeoutMs?: number } = {}) {
  const modelgate = new ModelgateClient({
    baseUrl: options.baseUrl ?? service.url,
    timeoutMs: options.timeoutMs ?? 5000,
    token: () => {
      tokensIssued += 1;
      return service.token({ sub: 'spiffe://corp/support/reply-bot' });
    },
  });
  return guardOpenAI(openai, modelgate, { purpose: 'support-reply', context: { environment: 'test' } });
}

describe('chat.completions.create through the guard', () => {
  it('sends the redacted messages with the capped max_tokens, and reports the usage', async () => {
    const before = tokensIssued;
    const result = await guarded().chat.completions.create({
      model: 'gpt-test',
      max_tokens: 1000,
      messages: [
        { role: 'system', content: 'You answer support tickets.' },
        { role: 'user', content: `Refund ${EMAIL}, card ${CARD}.` },
      ],
    });
    expect(result.choices[0]?.message.content).toBe('done');
    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!.body as { messages: { content: string }[]; max_tokens: number };
    expect(sent.max_tokens).toBe(64);
    expect(sent.messages[0]?.content).toBe('You answer support tickets.');
    expect(sent.messages[1]?.content).not.toContain(EMAIL);
    expect(sent.messages[1]?.content).not.toContain('4111');
    expect(sent.messages[1]?.content).toContain('[REDACTED:email]');
    expect(sent.messages[1]?.content).toContain('[REDACTED:credit_card]');
    expect(tokensIssued - before).toBe(2); // decide and the usage report each asked for a fresh token

    const row = auditRow(service.db, lastDecisionId());
    expect(row).toMatchObject({ outcome: 'allowed', subject: 'spiffe://corp/support/reply-bot' });
    expect(row?.record).toMatchObject({ model: 'gpt-test', operation: 'chat', max_tokens: 64 });
    expect(usageReport(service.db, row!.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });

  it('throws ModelgateDenied with the reasons and decision id on a secret, and never calls the model', async () => {
    const call = guarded().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: `deploy with ${AWS_KEY}` }],
    });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateDenied);
    const denied = error as ModelgateDenied;
    expect(denied.reasons.map((r) => r.code)).toEqual(['secret_in_payload']);
    expect(auditRow(service.db, denied.decisionId!)?.outcome).toBe('denied');
    expect(provider.requests).toHaveLength(0);
  });

  it('throws ModelgateDenied approval_required for a tool that needs an approval', async () => {
    const error = await guarded()
      .chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'refund order 42' }],
        tools: [{ type: 'function', function: { name: 'refund_payment', parameters: { type: 'object' } } }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateDenied);
    expect((error as ModelgateDenied).reasons.map((r) => r.code)).toContain('approval_required');
    expect(provider.requests).toHaveLength(0);
  });
});

describe('responses.create and embeddings.create through the guard', () => {
  it('redacts the Responses input and instructions and caps max_output_tokens', async () => {
    const result = await guarded().responses.create({
      model: 'gpt-test',
      instructions: `Reply to ${EMAIL}`,
      input: `My card is ${CARD}`,
      max_output_tokens: 500,
    });
    expect(result.output_text).toBe('done');
    const sent = provider.requests[0]!.body as {
      input: string;
      instructions: string;
      max_output_tokens: number;
    };
    expect(sent.max_output_tokens).toBe(64);
    expect(sent.input).toBe('My card is [REDACTED:credit_card]');
    expect(sent.instructions).toBe('Reply to [REDACTED:email]');
    expect(usageReport(service.db, lastDecisionId())?.output_tokens).toBe(FAKE_USAGE.output);
  });

  it('redacts embedding inputs and reports the input tokens', async () => {
    const result = await guarded().embeddings.create({
      model: 'embed-test',
      input: [`mail ${EMAIL}`, 'plain'],
    });
    expect(result.data).toHaveLength(2);
    expect(provider.requests[0]!.body.input).toEqual(['mail [REDACTED:email]', 'plain']);
    expect(auditRow(service.db, lastDecisionId())?.record).toMatchObject({ operation: 'embedding' });
    expect(usageReport(service.db, lastDecisionId())).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: 0,
    });
  });
});

describe('failing closed', () => {
  it('throws ModelgateUnavailable when modelgate is unreachable, and never calls the model', async () => {
    const closed = await closedPort();
    const error = await guarded({ baseUrl: `http://127.0.0.1:${closed}` })
      .chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateUnavailable);
    // A refused connection is no slow answer: the message says which, so an operator looks at the right thing.
    expect((error as Error).message).toBe(
      `could not reach modelgate at http://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`,
    );
    expect(provider.requests).toHaveLength(0);
  });

  it('throws ModelgateUnavailable when modelgate does not answer within the timeout', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const error = await guarded({
        baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        timeoutMs: 300,
      })
        .embeddings.create({ model: 'embed-test', input: 'hi' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelgateUnavailable);
      expect((error as Error).message).toMatch(
        /^modelgate did not answer within 300 ms at http:\/\/127\.0\.0\.1:\d+$/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(provider.requests).toHaveLength(0);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('throws ModelgateUnavailable when the token supplier fails, before asking modelgate', async () => {
    const before = auditCount(service.db);
    const modelgate = new ModelgateClient({
      baseUrl: service.url,
      token: () => Promise.reject(new Error('workload identity agent is down')),
    });
    const error = await guardOpenAI(openai, modelgate)
      .chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateUnavailable);
    expect(auditCount(service.db)).toBe(before);
    expect(provider.requests).toHaveLength(0);
  });

  it('throws ModelgateDenied with the decision id when modelgate rejects the token (401, recorded)', async () => {
    const modelgate = new ModelgateClient({ baseUrl: service.url, token: () => 'not-a-jwt' });
    const error = await guardOpenAI(openai, modelgate)
      .chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgateDenied);
    expect((error as ModelgateDenied).status).toBe(401);
    expect(auditRow(service.db, (error as ModelgateDenied).decisionId!)?.outcome).toBe('rejected');
  });
});

function lastDecisionId(): string {
  const rows = auditCount(service.db);
  expect(rows).toBeGreaterThan(0);
  return latestDecision(service.db);
}

function latestDecision(db: string): string {
  const sqlite = new Database(db, { readonly: true });
  try {
    return (
      sqlite
        .prepare("SELECT decision_id FROM audit_records WHERE path = '/v1/decide' ORDER BY seq DESC LIMIT 1")
        .get() as { decision_id: string }
    ).decision_id;
  } finally {
    sqlite.close();
  }
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
