import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { parseTtl, tokenCommand } from '../../src/cli/commands/token';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'modelgate-token-cmd-'));
});

afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await tokenCommand.run(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('prints only the token on stdout, so that TOKEN=$(modelgate token ...) works', async () => {
  const result = await run([
    '--sub',
    'svc:ci',
    '--scope',
    'invoke:chat',
    '--scope',
    'a b',
    '--act',
    'agent:x',
    '--ttl',
    '30m',
    '--data-dir',
    dataDir,
  ]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const payload = jwt.decode(result.stdout.trim()) as jwt.JwtPayload;
  expect(payload).toMatchObject({
    iss: 'modelgate-dev',
    sub: 'svc:ci',
    scope: 'invoke:chat a b',
    act: { sub: 'agent:x' },
  });
  expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(1800);
  expect(result.stderr).toMatch(/generated a development key pair/);
});

test('uses MODELGATE_DATA_DIR when --data-dir is absent', async () => {
  const first = await run(['--sub', 'x'], { MODELGATE_DATA_DIR: dataDir });
  expect(first.code).toBe(0);
  expect(first.stderr).toContain(join(dataDir, 'dev-issuer'));
  const second = await run(['--sub', 'x', '--data-dir', dataDir]);
  expect(second.stderr).not.toMatch(/generated/);
});

test('explains itself with --help', async () => {
  const result = await run(['--help']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/Usage: modelgate token --sub/);
  expect(result.stdout).toMatch(/--ttl/);
});

test.each([
  ['no --sub', ['--data-dir']],
  ['an unknown option', ['--sub', 'x', '--admin']],
  ['a positional argument', ['--sub', 'x', 'extra']],
  ['a bad ttl', ['--sub', 'x', '--ttl', '1 week']],
  ['a ttl beyond seven days', ['--sub', 'x', '--ttl', '8d']],
])('exits 2 with a hint on %s', async (_name, argv) => {
  const result = await run(argv.map((a) => (a === '--data-dir' ? `--data-dir=${dataDir}` : a)));
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/modelgate token --help/);
});

test.each([
  ['3600', 3600],
  ['90s', 90],
  ['30m', 1800],
  ['1h', 3600],
  ['7d', 604800],
  ['0', undefined],
  ['1.5h', undefined],
])('parses the ttl %s', (text, seconds) => {
  expect(parseTtl(text)).toBe(seconds);
});
