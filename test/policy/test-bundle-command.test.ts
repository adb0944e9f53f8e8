import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { DEFAULT_BUNDLE } from '../helpers/opa';

const CASES = path.join(__dirname, '..', 'cases');

describe('modelgate test-bundle', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-cases-'));
  });

  it('passes every shipped case against the committed bundle', async () => {
    const { code, stdout } = await runCli(['test-bundle', DEFAULT_BUNDLE, CASES]);
    const summary = /bundle cases: (\d+) passed, (\d+) failed/.exec(stdout);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(40);
    expect(summary![2]).toBe('0');
    expect(code).toBe(0);
  });

  it('fails with a line per failing case and a readable diff', async () => {
    const file = path.join(dir, 'wrong.yaml');
    writeFileSync(
      file,
      [
        'input_defaults:',
        '  subject: { id: spiffe://nobody, issuer: x, audience: [], scopes: [], claims: {}, actor: null }',
        '  invocation: { model: m, operation: chat }',
        'cases:',
        '  - name: an unknown subject is wrongly expected to pass',
        '    expect: { allow: true, obligations: [{ type: cap_tokens }] }',
        '  - name: an unknown subject is denied',
        '    expect: { allow: false, reasons: [unknown_subject] }',
      ].join('\n'),
    );
    const { code, stdout } = await runCli(['test-bundle', DEFAULT_BUNDLE, file]);
    expect(stdout).toContain('FAIL');
    expect(stdout).toContain('an unknown subject is wrongly expected to pass');
    expect(stdout).toContain('allow: expected true, got false');
    expect(stdout).toContain('obligations: none matches {"type":"cap_tokens"}');
    expect(stdout).not.toContain('FAIL ' + file + ': an unknown subject is denied');
    expect(stdout).toContain('bundle cases: 1 passed, 1 failed');
    expect(code).toBe(1);
  });

  it('writes a JUnit report for CI systems', async () => {
    const junit = path.join(dir, 'junit.xml');
    const { code } = await runCli(['test-bundle', DEFAULT_BUNDLE, CASES, '--junit', junit]);
    expect(code).toBe(0);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuites name="modelgate bundle cases" tests="\d+" failures="0">/);
    expect(xml).toContain('<testsuite name="');
  });

  it('exits 2 with a clear message when the bundle cannot be read', async () => {
    const { code, stderr } = await runCli(['test-bundle', path.join(dir, 'missing.tar.gz'), CASES]);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot read the bundle (ENOENT)');
  });

  it('exits 2 when a case file is not in the documented format', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'not_cases: []\n');
    const { code, stderr } = await runCli(['test-bundle', DEFAULT_BUNDLE, file]);
    expect(code).toBe(2);
    expect(stderr).toContain('expected a top-level "cases" list');
  });

  it.each([
    ['an expectation', '    expect: { allow: false, reason: [secret_detected] }', 'expect.reason'],
    [
      'a case',
      '    expect: { allow: false }\n    inputs: { payload: { findings: { aws_access_key: 1 } } }',
      'inputs',
    ],
  ])(
    'exits 2 on a misspelt key in %s instead of passing a case that checks less than it says',
    async (_where, line, key) => {
      const file = path.join(dir, `typo-${key}.yaml`);
      writeFileSync(
        file,
        [
          'input_defaults:',
          '  subject: { id: spiffe://nobody, issuer: x, audience: [], scopes: [], claims: {}, actor: null }',
          '  invocation: { model: m, operation: chat }',
          'cases:',
          '  - name: a secret is denied',
          line,
        ].join('\n'),
      );
      // Precondition: the same case without the misspelt key passes, so only the key can fail it.
      const base = path.join(dir, 'base.yaml');
      writeFileSync(
        base,
        readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n') + '\n    expect: { allow: false }\n',
      );
      expect((await runCli(['test-bundle', DEFAULT_BUNDLE, base])).code).toBe(0);

      const { code, stderr } = await runCli(['test-bundle', DEFAULT_BUNDLE, file]);
      expect(stderr).toContain(`case "a secret is denied": unknown key "${key}"`);
      expect(code).toBe(2);
    },
  );

  it('exits 2 on a misspelt top-level key', async () => {
    const file = path.join(dir, 'typo-root.yaml');
    writeFileSync(
      file,
      'input_default: { invocation: { model: m } }\ncases:\n  - name: x\n    expect: { allow: false }\n',
    );
    const { code, stderr } = await runCli(['test-bundle', DEFAULT_BUNDLE, file]);
    expect(stderr).toContain('unknown key "input_default"');
    expect(code).toBe(2);
  });

  it('prints help that shows the case format', async () => {
    const { code, stdout } = await runCli(['test-bundle', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('input_defaults');
    expect(stdout).toContain('--junit FILE');
  });
});
