import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opaBinary } from '../helpers/opa';

// docs/policies.md's build and test lines, run as printed in a fresh checkout of a policy repository (rego/ with
// its *_test.rego files, test/cases/, no dist/ or reports/ yet). Three of them failed there: `bundle build -o
// dist/…` (no dist/), `test-bundle --junit reports/…` (no reports/) and `opa build … rego/`, which compiled the
// Rego tests in and stopped at a type error in one of them.

const root = path.resolve(__dirname, '..', '..');
const COMMAND = /^\s*(?:- run: )?((?:modelgate bundle build|modelgate test-bundle|opa build) .*)$/;

/** Returns the lines of docs/policies.md that build or test a bundle, without their comments or placeholders. */
function documentedLines(): string[] {
  const doc = readFileSync(path.join(root, 'docs', 'policies.md'), 'utf8');
  return doc
    .split('\n')
    .map((line) => COMMAND.exec(line)?.[1])
    .filter((line): line is string => line !== undefined && !line.includes(' ['))
    .map((line) => line.replace(/\s+#.*$/, ''));
}

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-documented-pipeline-'));
  const checkout = path.join(dir, 'policy-repo');
  cpSync(path.join(root, 'rego'), path.join(checkout, 'rego'), { recursive: true });
  cpSync(path.join(root, 'test', 'cases'), path.join(checkout, 'test', 'cases'), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: checkout, stdio: 'pipe' });
  git('init', '-q');
  git(
    '-c',
    'user.name=ci',
    '-c',
    'user.email=ci@example.com',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'policy',
  );
  // `modelgate` and `opa` on the PATH, as in the docs: the built CLI and the pinned OPA.
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'modelgate'),
    `#!/bin/sh\nexec node ${path.join(root, 'dist', 'cli', 'main.js')} "$@"\n`,
  );
  writeFileSync(path.join(bin, 'opa'), `#!/bin/sh\nexec ${opaBinary()} "$@"\n`);
  chmodSync(path.join(bin, 'modelgate'), 0o755);
  chmodSync(path.join(bin, 'opa'), 0o755);
  env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('finds the lines to run (the precondition of the test below)', () => {
  const lines = documentedLines();
  expect(lines.some((l) => l.startsWith('modelgate bundle build rego/ -o dist/'))).toBe(true);
  expect(lines.some((l) => l.includes('--junit reports/'))).toBe(true);
  expect(lines.some((l) => l.startsWith('opa build'))).toBe(true);
});

it('runs every build and test line of docs/policies.md, in order, in a fresh checkout', () => {
  for (const line of documentedLines()) {
    const run = spawnSync('sh', ['-c', line], { cwd: path.join(dir, 'policy-repo'), env, encoding: 'utf8' });
    expect({ line, status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({
      line,
      status: 0,
      stderr: '',
    });
  }
}, 120_000);
