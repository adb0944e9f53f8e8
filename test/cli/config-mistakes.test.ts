import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';

// A config mistake stops `serve` with exit 2 and one line; these are the lines a newcomer has to act on.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function configFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-config-mistake-'));
  dirs.push(dir);
  const file = path.join(dir, 'modelgate.yaml');
  writeFileSync(file, text);
  return file;
}

async function serveWith(text: string, env: NodeJS.ProcessEnv = {}) {
  return runCli(['serve'], { MODELGATE_CONFIG: configFile(text), LOG_LEVEL: 'silent', ...env });
}

describe('a mistake in the configuration', () => {
  it.each([
    ['bundel: x.tar.gz\n', 'config: bundel: is not allowed here; did you mean bundle?'],
    [
      'audit:\n  synchronus: FULL\n',
      'config: audit.synchronus: is not allowed here; did you mean synchronous?',
    ],
    ['databse:\n  url: postgres://db/x\n', 'config: databse: is not allowed here; did you mean database?'],
  ])('a misspelt key (%j) is named with the key it resembles', async (text, line) => {
    const result = await serveWith(text);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `modelgate: cannot start: ${line}\n` });
  });

  it('a key like no other lists the keys that are allowed there', async () => {
    const result = await serveWith('shutdown:\n  zzz: 1\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'modelgate: cannot start: config: shutdown.zzz: is not allowed here ' +
        '(keys here: wait_period_seconds, grace_period_seconds)\n',
    );
  });

  // `audience` for `audiences` made `audiences` missing: the missing key was named, and the typo was the
  // "1 more problem" never shown.
  it('names the misspelt key before the required key it left missing', async () => {
    const issuer =
      'issuers:\n  - issuer: https://idp.corp\n    jwks_url: https://idp.corp/jwks\n    audience: [api]\n    algorithms: [RS256]\n';
    const result = await serveWith(issuer);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^modelgate: cannot start: config: issuers\[0\]\.audience: is not allowed here; did you mean audiences\? \(and 1 more problem\)\n$/,
    );
  });

  it('names the environment variable a wrong value came from', async () => {
    const result = await serveWith('port: 9000\n', { PORT: '99999' });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'modelgate: cannot start: config: port: must be <= 65535 (set by the environment: PORT=99999)\n',
    });
  });

  it('never shows the database URL it came from the environment, only its name', async () => {
    const result = await serveWith('', { MODELGATE_DATABASE_URL: 'mysql://u:Hunter2@db/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(set by the environment: MODELGATE_DATABASE_URL)');
    expect(result.stderr).not.toContain('Hunter2');
  });
});
