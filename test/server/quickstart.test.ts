import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { auditCount, auditRow } from '../helpers/audit-db';

const root = path.resolve(__dirname, '..', '..');
const main = path.join(root, 'src', 'cli', 'main.ts');
// One process (no tsx wrapper in between), so signals reach the server itself.
const cli = (...args: string[]) => ['--import', require.resolve('tsx'), main, ...args];
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

// The README's quick-start bodies, verbatim: the test fails if the README drifts from what works.
const SUPPORT_PII = `{"invocation":{"model":"anthropic.claude-haiku","provider":"bedrock","operation":"chat","purpose":"support-reply","max_tokens":1024},"payload":{"messages":[{"role":"user","content":"Customer jane.doe@example.com paid with 4111 1111 1111 1111 and wants a refund."}]}}`;
const SUPPORT_SECRET = `{"invocation":{"model":"anthropic.claude-haiku","provider":"bedrock","operation":"chat","purpose":"support-reply"},"payload":{"messages":[{"role":"user","content":"our key is aws_secret_access_key=Zq8mT2vR9xLk4NpW7yHc3Bf6Jd1Gs5Ua0EiOoQrX please fix"}]}}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('quick start: npm start in development mode, a minted token, the README calls', () => {
  let cwd: string;
  let port: number;
  let server: ChildProcess;
  let stderr = '';
  const env = () => ({ ...process.env, PORT: String(port), LOG_LEVEL: 'warn', MODELGATE_CONFIG: '' });

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'mg-quickstart-'));
    port = await freePort();
    server = spawn(process.execPath, cli('serve'), { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    server.stdout!.resume();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`server did not become ready:\n${stderr}`);
  });
  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  const mint = (...args: string[]) => {
    const out = spawnSync(process.execPath, cli('token', ...args), { cwd, env: env(), encoding: 'utf8' });
    expect(out.status).toBe(0);
    return out.stdout.trim();
  };
  const decide = (token: string, body: string) =>
    fetch(`http://127.0.0.1:${port}/v1/decide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  it('says loudly that it is in development mode and generated a key pair outside the repository', () => {
    expect(stderr).toContain('DEVELOPMENT MODE');
    const key = path.join(cwd, '.modelgate', 'dev-issuer');
    expect(statSync(key).isDirectory()).toBe(true);
  });

  it('the README shows the same calls this test makes', () => {
    expect(readme).toContain(SUPPORT_PII);
    expect(readme).toContain(SUPPORT_SECRET);
    expect(readme).toContain('token --sub spiffe://corp/support/reply-bot --scope invoke:support');
  });

  it('allows the support bot and masks the email and the card number in redacted_payload', async () => {
    const token = mint('--sub', 'spiffe://corp/support/reply-bot', '--scope', 'invoke:support');
    const res = await decide(token, SUPPORT_PII);
    expect(res.status).toBe(200);
    expect(res.body.allow).toBe(true);
    expect(res.body.obligations).toEqual(
      expect.arrayContaining([{ type: 'redact', classes: ['credit_card', 'email'] }]),
    );
    const content = (res.body.redacted_payload as { messages: { content: string }[] }).messages[0]!.content;
    expect(content).toBe('Customer [REDACTED:email] paid with [REDACTED:credit_card] and wants a refund.');
    const row = auditRow(path.join(cwd, '.modelgate', 'modelgate.db'), res.body.decision_id as string);
    expect((row!.record.input as { payload: unknown }).payload).toEqual({
      present: true,
      chars: 83, // every string leaf counts: the content (79) and the role "user" (4)
      findings: { credit_card: 1, email: 1 },
      categories: { pii: 2 },
      rules: { 'modelgate-credit-card': 1, 'modelgate-email': 1 },
    });
    expect(JSON.stringify(row)).not.toContain('jane.doe@example.com');
  });

  it('denies the same bot with secret_detected when the payload holds an AWS secret key', async () => {
    const token = mint('--sub', 'spiffe://corp/support/reply-bot', '--scope', 'invoke:support');
    const res = await decide(token, SUPPORT_SECRET);
    expect(res.status).toBe(200);
    expect(res.body.allow).toBe(false);
    expect((res.body.reasons as { code: string }[]).map((r) => r.code)).toContain('secret_detected');
    expect(res.body).not.toHaveProperty('redacted_payload');
  });

  it('stops on SIGTERM after finishing in-flight decisions, with everything recorded', async () => {
    const db = path.join(cwd, '.modelgate', 'modelgate.db');
    const token = mint('--sub', 'spiffe://corp/support/reply-bot', '--scope', 'invoke:support');
    const inFlight = Array.from({ length: 20 }, () => decide(token, SUPPORT_PII).catch(() => null));
    await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    const replies = (await Promise.all(inFlight)).filter((r) => r !== null);
    expect(await exited).toBe(0);
    for (const reply of replies) expect(auditRow(db, reply.body.decision_id as string)).toBeDefined();
    expect(auditCount(db)).toBeGreaterThanOrEqual(2 + replies.length);
  });
});
