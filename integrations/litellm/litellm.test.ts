import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from '../../test/helpers/fake-openai';
import { startGateService, usageReport } from '../../test/helpers/gate-service';
import type { TestService } from '../../test/helpers/service';
import { venvPython } from '../testdata/python';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const AWS_KEY = 'AKIA' + 'Z7QH4K2M6XW3PLTR';
const MASTER_KEY = 'sk-litellm-test-master';
const CONFIG = path.join(__dirname, 'config.yaml');
const PROXY_ID = 'spiffe://corp/gateway/litellm';

let service: TestService;
let provider: FakeOpenAI;
let proxy: ChildProcess;
let proxyLog = '';
let client: OpenAI;
let serviceClosed = false;

beforeAll(async () => {
  const python = venvPython('litellm');
  [service, provider] = await Promise.all([startGateService(), startFakeOpenAI()]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-litellm-'));
  const tokenFile = path.join(dir, 'modelgate.jwt');
  writeFileSync(tokenFile, service.token({ sub: PROXY_ID }));
  const port = await freePort();
  // The shipped config.yaml, unchanged: everything it needs comes from the environment.
  proxy = spawn(
    path.join(path.dirname(python), 'litellm'),
    ['--config', CONFIG, '--host', '127.0.0.1', '--port', String(port)],
    {
      env: {
        ...process.env,
        LITELLM_MASTER_KEY: MASTER_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        LITELLM_TELEMETRY: 'False',
        OPENAI_API_BASE: provider.baseURL,
        OPENAI_API_KEY: 'sk-fake-provider-key',
        MODELGATE_URL: service.url,
        MODELGATE_TOKEN_FILE: tokenFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proxy.stdout?.on('data', (d: Buffer) => (proxyLog += d.toString()));
  proxy.stderr?.on('data', (d: Buffer) => (proxyLog += d.toString()));
  await waitForProxy(`http://127.0.0.1:${port}/health/liveliness`, 150_000);
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });
}, 300_000);

afterAll(async () => {
  proxy?.kill('SIGTERM');
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
    await eventually(() => usageReport(service.db, decision.decision_id) !== undefined);
    expect(usageReport(service.db, decision.decision_id)).toEqual({
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
    });
  });

  it('redacts embedding input', async () => {
    await client.embeddings.create({ model: 'text-embedding-3-small', input: [`mail ${EMAIL}`] });
    expect(provider.requests[0]?.body.input).toEqual(['mail [REDACTED:email]']);
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

function decisions(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT decision_id, outcome, subject, record FROM audit_records WHERE path = '/v1/decide' ORDER BY seq",
      )
      .all() as { decision_id: string; outcome: string; subject: string; record: string }[];
    return rows.map((r) => {
      const record = JSON.parse(r.record) as { model: string; max_tokens: number | null };
      return {
        decision_id: r.decision_id,
        outcome: r.outcome,
        subject: r.subject,
        model: record.model,
        max_tokens: record.max_tokens,
      };
    });
  } finally {
    db.close();
  }
}

async function waitForProxy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proxy.exitCode !== null) throw new Error(`litellm exited with ${proxy.exitCode}:\n${proxyLog}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`litellm did not start within ${timeoutMs} ms:\n${proxyLog}`);
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
