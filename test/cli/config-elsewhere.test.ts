import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const main = path.join(root, 'src', 'cli', 'main.ts');
const tsx = ['--import', require.resolve('tsx'), main];

// The environment of a shell in `work/` with the config file kept in `conf/`: every command run from there
// must reach the same files that `serve` run from there uses.
function environment(conf: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', MODELGATE_CONFIG: conf, ...extra };
  for (const name of ['PORT', 'HOST', 'MODELGATE_DATA_DIR', 'MODELGATE_DATABASE_URL', 'MODELGATE_BUNDLE']) {
    if (!(name in extra)) delete env[name];
  }
  if (!('MODELGATE_DB' in extra)) delete env.MODELGATE_DB;
  return env;
}

function cli(cwd: string, env: NodeJS.ProcessEnv, ...argv: string[]) {
  return spawnSync(process.execPath, [...tsx, ...argv], { cwd, env, encoding: 'utf8' });
}

describe('a config file kept in another folder than the one commands run from', () => {
  let top: string;
  beforeEach(() => {
    top = mkdtempSync(path.join(os.tmpdir(), 'mg-elsewhere-'));
    mkdirSync(path.join(top, 'conf'));
    mkdirSync(path.join(top, 'work'));
    writeFileSync(path.join(top, 'conf', 'modelgate.yaml'), 'port: 0\n');
  });
  afterEach(() => rmSync(top, { recursive: true, force: true }));

  // MODELGATE_DB=audit.db was resolved against the config file's folder by serve and against the current
  // folder by `audit verify`: serve wrote conf/audit.db and verify reported no audit log in work/.
  // And `token` minted with work/.modelgate's key while serve trusted conf/.modelgate's.
  it('serve, token and audit verify agree on the audit log and the development key', async () => {
    const work = path.join(top, 'work');
    const env = environment('../conf/modelgate.yaml', { MODELGATE_DB: 'audit.db' });
    const child = spawn(process.execPath, [...tsx, 'serve'], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 30_000);
        child.stderr.on('data', () => {
          const m = /curl -s (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const token = cli(
        work,
        env,
        'token',
        '--sub',
        'spiffe://corp/support/reply-bot',
        '--scope',
        'invoke:support',
      );
      expect(token.status).toBe(0);
      const res = await fetch(`${url}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.stdout.trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          invocation: {
            model: 'anthropic.claude-haiku',
            provider: 'bedrock',
            operation: 'chat',
            purpose: 'support-reply',
          },
          payload: { prompt: 'hello' },
        }),
      });
      expect(res.status).toBe(200);
      expect(existsSync(path.join(work, 'audit.db'))).toBe(true);
      const verify = cli(work, env, 'audit', 'verify');
      expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: '' });
      expect(verify.stdout).toMatch(/^1 records, chain intact/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 90_000);
});
