import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUNDLE } from '../../src/config/load-config';
import { runCli } from '../helpers/cli';

// `bundle` parses one set of options for all its actions: one an action does not use was accepted and
// ignored, so `inspect -o FILE` wrote nothing and `verify --json` printed text to a JSON parser.
describe('modelgate bundle: an option the action does not take', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bundle-options-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the actions run with their own options (the precondition)', async () => {
    expect((await runCli(['bundle', 'inspect', DEFAULT_BUNDLE, '--json'])).code).toBe(0);
    expect((await runCli(['bundle', 'verify', DEFAULT_BUNDLE, '--allow-unsigned'])).code).toBe(0);
  });

  it.each([
    [['inspect', '-o'], '--output'],
    [['verify', '--allow-unsigned', '--json'], '--json'],
    [['verify', '--allow-unsigned', '--revision', 'r2'], '--revision'],
    [['inspect', '--signing-key', 'k.pem'], '--signing-key'],
  ])('bundle %j is refused naming %s, exit 2', async ([action, ...options], option) => {
    const out = path.join(dir, 'out.json');
    const argv = options.map((o) => (o === '-o' ? ['-o', out] : [o])).flat();
    const result = await runCli(['bundle', action!, DEFAULT_BUNDLE, ...argv]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(`modelgate bundle: bundle ${action} does not take ${option}`);
    expect(existsSync(out)).toBe(false);
  });

  it('documents --opa, which build and capabilities take', async () => {
    expect((await runCli(['bundle', '--help'])).stdout).toMatch(/--opa FILE +the opa binary/);
  });
});
