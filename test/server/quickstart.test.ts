import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { guardedChat } from '../../examples/guarded-chat';
import { auditCount, auditRow } from '../helpers/audit-db';
import { bundleRevision, DEFAULT_BUNDLE } from '../helpers/opa';
import { maskText, maskVolatile, readmeExamples } from '../helpers/readme-examples';

const execFileAsync = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const main = path.join(root, 'src', 'cli', 'main.ts');
// One process (no tsx wrapper in between), so signals reach the server itself.
const cli = (...args: string[]) => ['--import', require.resolve('tsx'), main, ...args];
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

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

// The README's commands use `npm run -s modelgate`, which runs the compiled CLI: `npm test` builds first.
function ensureBuilt() {
  if (existsSync(path.join(root, 'dist', 'cli', 'main.js'))) return;
  const out = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`build failed:\n${out.stdout}${out.stderr}`);
}

/** Runs shell blocks in one bash session from the repository root; returns each block's stdout. */
function runShell(blocks: string[], env: NodeJS.ProcessEnv, port: number): string[] {
  const marker = '@@modelgate-readme-block-end@@';
  const script = blocks
    .map((b) => `${b.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)}\nprintf '\\n${marker}\\n'`)
    .join('\n');
  const out = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, env, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`README shell failed (${out.status}):\n${out.stdout}\n${out.stderr}`);
  return out.stdout.split(`\n${marker}\n`).slice(0, blocks.length);
}

describe('quick start: npm start in development mode, then the README as printed', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess;
  let stderr = '';
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    MODELGATE_CONFIG: '',
    MODELGATE_DATA_DIR: dataDir,
    MODELGATE_DB: path.join(dataDir, 'modelgate.db'),
  });
  const db = () => path.join(dataDir, 'modelgate.db');

  beforeAll(async () => {
    ensureBuilt();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mg-quickstart-'));
    port = await freePort();
    server = spawn(process.execPath, cli('serve'), {
      cwd: root,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

  // Asynchronous on purpose: a spawnSync blocks this process's event loop for the seconds a mint takes on
  // a busy machine, so fetch's keep-alive timer cannot retire a pooled connection the server has closed.
  const mint = async (...args: string[]) => {
    const { stdout } = await execFileAsync(process.execPath, cli('token', ...args), {
      cwd: root,
      env: env(),
    });
    return stdout.trim();
  };

  it('says loudly that it is in development mode and generated a key pair outside the repository', () => {
    expect(stderr).toContain('DEVELOPMENT MODE');
    expect(statSync(path.join(dataDir, 'dev-issuer')).isDirectory()).toBe(true);
  });

  it('every quick-start block prints what the README shows (ids and hashes aside)', () => {
    const before = auditCount(db());
    const examples = readmeExamples(readme, 'Quick start');
    expect(examples.filter((e) => e.output).length).toBeGreaterThanOrEqual(3); // precondition: found them
    const outputs = runShell(
      examples.map((e) => e.shell),
      env(),
      port,
    );
    examples.forEach((example, i) => {
      if (!example.output) return;
      const actual = outputs[i]!;
      if (example.output.kind === 'json') {
        expect(maskVolatile(JSON.parse(actual))).toEqual(maskVolatile(JSON.parse(example.output.text)));
      } else {
        expect(maskText(actual)).toBe(maskText(example.output.text));
      }
    });
    expect(auditCount(db())).toBe(before + 2);
  });

  // In another terminal, where MODELGATE_DATA_DIR is not set: the banner names the folder of the key it trusts.
  it('the banner’s try-it commands, run as printed in a new shell, get an allowed decision', () => {
    const lines = stderr.split('Try it, from this folder:\n')[1]!.split('  ====')[0]!;
    const newShell = env();
    delete newShell.MODELGATE_DATA_DIR;
    delete newShell.MODELGATE_DB;
    const [out] = runShell([lines.replace(/^ +/gm, '')], newShell, port);
    const reply = JSON.parse(out!) as { allow: boolean; redacted_payload: unknown };
    expect(reply.allow).toBe(true);
    expect(JSON.stringify(reply.redacted_payload)).toContain('[REDACTED:email]');
  });

  it('shows the revision of the bundle it ships', () => {
    expect(readme).toContain(`"revision": "${bundleRevision(DEFAULT_BUNDLE)}"`);
  });

  it('keeps payload text out of the audit log: classes and counts only', async () => {
    const token = await mint('--sub', 'spiffe://corp/support/reply-bot', '--scope', 'invoke:support');
    const [example] = readmeExamples(readme, 'Quick start');
    const body = /-d '(.*)'$/m.exec(example!.shell)![1]!;
    const res = await fetch(`http://127.0.0.1:${port}/v1/decide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    const reply = (await res.json()) as { decision_id: string };
    const row = auditRow(db(), reply.decision_id);
    expect((row!.record.input as { payload: unknown }).payload).toEqual({
      present: true,
      // every text counts: the content (79), the role "user" (4) and the keys "messages", "role", "content" (19)
      chars: 102,
      findings: { credit_card: 1, email: 1 },
      categories: { pii: 2 },
      rules: { 'modelgate-credit-card': 1, 'modelgate-email': 1 },
    });
    expect(JSON.stringify(row)).not.toContain('jane.doe@example.com');
  });

  describe('the caller example (examples/guarded-chat.ts) against a local OpenAI-compatible server', () => {
    let model: Server;
    const seen: Record<string, unknown>[] = [];
    beforeAll(async () => {
      model = createHttpServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          seen.push(JSON.parse(body) as Record<string, unknown>);
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              choices: [{ message: { role: 'assistant', content: 'Refund on its way.' } }],
              usage: { prompt_tokens: 42, completion_tokens: 7 },
            }),
          );
        });
      });
      await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
      process.env.MODELGATE_URL = `http://127.0.0.1:${port}`;
      process.env.MODEL_URL = `http://127.0.0.1:${(model.address() as { port: number }).port}/v1`;
    });
    afterAll(() => model.close());

    it('is the code the README shows', () => {
      const source = readFileSync(path.join(root, 'examples', 'guarded-chat.ts'), 'utf8');
      const region = source.split('// README:start\n')[1]!.split('  // README:end')[0]!;
      expect(readme).toContain(region.replace(/^ {2}/gm, ''));
    });

    // Minted up front: minting takes seconds on a busy machine, long enough for a kept-alive connection
    // to reach the server's keep-alive timeout between two calls.
    let token: string;
    let stranger: string;
    beforeAll(async () => {
      token = await mint('--sub', 'spiffe://corp/support/reply-bot', '--scope', 'invoke:support');
      stranger = await mint('--sub', 'spiffe://corp/unknown/bot');
    });

    it('sends the model the redacted messages and the capped max_tokens, then reports usage', async () => {
      // guardedChat reads MODELGATE_URL and MODEL_URL when the module loads: import it after setting them.
      const { guardedChat: chat } = (await import('../../examples/guarded-chat')) as {
        guardedChat: typeof guardedChat;
      };
      const completion = await chat(token, [
        { role: 'user', content: 'Refund for jane.doe@example.com please' },
      ]);
      expect(completion.choices[0]!.message.content).toBe('Refund on its way.');
      expect(seen).toEqual([
        {
          model: 'anthropic.claude-haiku',
          messages: [{ role: 'user', content: 'Refund for [REDACTED:email] please' }],
          max_tokens: 1024,
        },
      ]);
      const usage = await fetch(`http://127.0.0.1:${port}/v1/usage`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.json() as Promise<{ reported_last_day: { reports: number; tokens: number } }>);
      expect(usage.reported_last_day).toMatchObject({ reports: 1, tokens: 49 });
    });

    it('fails closed: a denied call never reaches the model', async () => {
      const calls = seen.length;
      const { guardedChat: chat } = (await import('../../examples/guarded-chat')) as {
        guardedChat: typeof guardedChat;
      };
      await expect(chat(stranger, [{ role: 'user', content: 'hello' }])).rejects.toThrow(/unknown_subject/);
      expect(seen.length).toBe(calls);
    });
  });

  it('stops on SIGTERM after finishing in-flight decisions, with everything recorded', async () => {
    const token = await mint('--sub', 'spiffe://corp/support/reply-bot', '--scope', 'invoke:support');
    const [example] = readmeExamples(readme, 'Quick start');
    const body = /-d '(.*)'$/m.exec(example!.shell)![1]!;
    const decide = () =>
      fetch(`http://127.0.0.1:${port}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      }).then(async (r) => (await r.json()) as { decision_id: string });
    const before = auditCount(db());
    const inFlight = Array.from({ length: 20 }, () => decide().catch(() => null));
    await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    const replies = (await Promise.all(inFlight)).filter((r) => r !== null);
    expect(await exited).toBe(0);
    for (const reply of replies) expect(auditRow(db(), reply.decision_id)).toBeDefined();
    expect(auditCount(db())).toBeGreaterThanOrEqual(before + replies.length);
  });
});
