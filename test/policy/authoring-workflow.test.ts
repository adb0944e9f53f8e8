import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opaBinary } from '../helpers/opa';

const root = path.resolve(__dirname, '..', '..');

// A copy of the authoring toolchain (scripts, rego, committed bundle) the test may break freely.
function copyProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-author-'));
  for (const part of ['scripts', 'rego', 'bundles', '.opa-version']) {
    cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  }
  return dir;
}

function run(dir: string, script: string) {
  // The pinned OPA is found on PATH, so the copy never needs to build it.
  const env = { ...process.env, PATH: `${path.dirname(opaBinary())}:${process.env.PATH}` };
  return spawnSync('bash', [path.join(dir, 'scripts', script)], { cwd: dir, env, encoding: 'utf8' });
}

describe('policy authoring workflow', () => {
  it('accepts the committed bundle when it matches the sources', () => {
    const dir = copyProject();
    const result = run(dir, 'check-bundles.sh');
    expect(result.stderr).toContain('is current');
    expect(result.status).toBe(0);
  });

  it('fails with "stale" and the rebuild command when a rule changes without a rebuild', () => {
    const dir = copyProject();
    expect(run(dir, 'check-bundles.sh').status).toBe(0); // precondition: current before the edit
    const data = path.join(dir, 'rego', 'entitlements', 'data.json');
    writeFileSync(
      data,
      readFileSync(data, 'utf8').replace('"requests_per_minute": 60', '"requests_per_minute": 61'),
    );
    const result = run(dir, 'check-bundles.sh');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is stale');
    expect(result.stderr).toContain('npm run build:bundles');
  });

  it('gives the author OPA’s own error with file and line for a broken Rego file', () => {
    const dir = copyProject();
    writeFileSync(
      path.join(dir, 'rego', 'modelgate', 'broken.rego'),
      'package modelgate\n\nbroken if {\n  input.x ==\n}\n',
    );
    const result = run(dir, 'test-rego.sh');
    const output = result.stdout + result.stderr;
    expect(result.status).not.toBe(0);
    expect(output).toMatch(/rego\/modelgate\/broken\.rego:\d+/);
    expect(output).not.toMatch(/\n\s+at .+\.(ts|js):\d+/); // no stack trace of ours
  });

  it('counts a failing opa test once, and the passing ones as OPA does', () => {
    const dir = copyProject();
    writeFileSync(
      path.join(dir, 'rego', 'modelgate', 'fails_test.rego'),
      'package modelgate_fails_test\n\ntest_fails if {\n  1 == 2\n}\n',
    );
    const result = run(dir, 'test-rego.sh');
    expect(result.status).toBe(1);
    const total = Number(/^FAIL: 1\/(\d+)$/m.exec(result.stdout)?.[1]);
    expect(total).toBeGreaterThan(1);
    expect(result.stdout).toMatch(new RegExp(`^rego: ${total - 1} passed, 1 failed$`, 'm'));
  });

  it('builds a bundle whose revision names the sources', () => {
    const dir = copyProject();
    const out = path.join(dir, 'fresh.tar.gz');
    execFileSync('bash', [path.join(dir, 'scripts', 'build-bundles.sh'), out], {
      cwd: dir,
      env: { ...process.env, PATH: `${path.dirname(opaBinary())}:${process.env.PATH}` },
      stdio: 'pipe',
    });
    const manifest = execFileSync('tar', ['-xzOf', out, '/.manifest'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const revision = execFileSync(
      'bash',
      [path.join(dir, 'scripts', 'rego-revision.sh'), path.join(dir, 'rego')],
      {
        encoding: 'utf8',
      },
    ).trim();
    expect(revision).toMatch(/^rego-[0-9a-f]{12}$/);
    expect(JSON.parse(manifest).revision).toBe(revision);
  });
});
