import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BundleErrorCode } from '../../../src/errors';
import type { BundleStatus } from '../../../src/policy/active-bundle';
import { readBundle } from '../../../src/policy/bundle';
import { WasmPolicyEngine } from '../../../src/policy/wasm-policy-engine';
import { opaBuildBundle, writePolicySources } from '../../helpers/bundles';
import { runCli } from '../../helpers/cli';
import { opaBinary, REGO_DIR } from '../../helpers/opa';
import { startTestService, type TestService } from '../../helpers/service';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-refused-builtins-'));
});

/** Writes policy sources whose decision calls `call` only when the input asks for it (a rarely taken branch). */
function sourcesCalling(call: string): string {
  const sources = writePolicySources();
  writeFileSync(
    path.join(sources, 'modelgate', 'decision.rego'),
    [
      'package modelgate',
      '',
      'default decision := {"allow": true, "reasons": [], "obligations": []}',
      '',
      'decision := {"allow": false, "reasons": [sprintf("%v", [x])], "obligations": []} if {',
      '  input.rare',
      `  x := ${call}`,
      '}',
      '',
    ].join('\n'),
  );
  return sources;
}

async function loadError(call: string): Promise<string> {
  const bundle = opaBuildBundle(sourcesCalling(call), path.join(dir, `${Math.random()}.tar.gz`), {
    revision: 'r',
  });
  const engine = WasmPolicyEngine.load(await readBundle(bundle));
  return engine.then(
    () => 'loaded',
    (err: Error) => err.message,
  );
}

describe('a policy calling a builtin modelgate does not provide', () => {
  it('loads when every builtin it calls is provided (the precondition of the refusals below)', async () => {
    expect(await loadError('upper("a")')).toBe('loaded');
  });

  it('is refused at load, naming http.send and why, even when no decision reaches the call', async () => {
    const message = await loadError('http.send({"method": "get", "url": "https://example.com"})');
    expect(message).toMatch(/calls http\.send, which modelgate refuses: a decision must not wait on/);
  });

  it('is refused at load, naming builtins not provided to WASM policies', async () => {
    const message = await loadError('graphql.is_valid("{ a }", "type Query { a: String }")');
    expect(message).toContain('does not provide to WASM policies: graphql.is_valid');
  });

  it('fails `modelgate bundle build` at the line that calls it, and writes no bundle', async () => {
    const out = path.join(dir, 'built.tar.gz');
    const sources = sourcesCalling('net.lookup_ip_addr("example.com")');
    const built = await runCli(['bundle', 'build', sources, '-o', out, '-e', 'modelgate/decision']);
    expect(built.code).toBe(1);
    expect(built.stderr).toContain(
      `${path.join(sources, 'modelgate', 'decision.rego')}:7: rego_type_error: undefined function net.lookup_ip_addr`,
    );
    expect(built.stderr).toContain('modelgate bundle capabilities');
    expect(existsSync(out)).toBe(false);
  });

  it('fails `modelgate bundle verify` with the code the service reports for it', async () => {
    const bundle = opaBuildBundle(
      sourcesCalling('http.send({"method": "get", "url": "https://x"})'),
      path.join(dir, 'stock-opa.tar.gz'),
      { revision: 'r' },
    );
    const verified = await runCli(['bundle', 'verify', bundle, '--allow-unsigned']);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(
      new RegExp(`^${BundleErrorCode.NotLoadable}: .*calls http\\.send, which modelgate refuses`),
    );
  });
});

describe('modelgate bundle capabilities', () => {
  let file: string;

  beforeAll(async () => {
    file = path.join(dir, 'capabilities.json');
    const written = await runCli(['bundle', 'capabilities', '-o', file]);
    expect(written.code).toBe(0);
  });

  it("is OPA's document less what a WASM policy cannot call here", () => {
    const names = new Set(
      (JSON.parse(readFileSync(file, 'utf8')) as { builtins: { name: string }[] }).builtins.map(
        (b) => b.name,
      ),
    );
    for (const served of ['upper', 'sprintf', 'time.now_ns', 'io.jwt.decode_verify', 'trace']) {
      expect(names).toContain(served);
    }
    for (const refused of ['http.send', 'net.lookup_ip_addr', 'opa.runtime', 'graphql.parse']) {
      expect(names).not.toContain(refused);
    }
  });

  it('makes `opa check --capabilities` fail at the call, and pass the shipped policy', () => {
    const check = (sources: string) =>
      spawnSync(opaBinary(), ['check', '--capabilities', file, sources], { encoding: 'utf8' });
    const refused = check(sourcesCalling('http.send({"method": "get", "url": "https://x"})'));
    expect(refused.status).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(
      /decision\.rego:7: rego_type_error: undefined function http\.send/,
    );
    const shipped = check(REGO_DIR);
    expect(`${shipped.stdout}${shipped.stderr}`).toBe('');
    expect(shipped.status).toBe(0);
  });
});

describe('a running service offered such a bundle', () => {
  let service: TestService;
  let live: string;

  beforeAll(async () => {
    live = path.join(dir, 'live.tar.gz');
    opaBuildBundle(writePolicySources(), live, { revision: 'good' });
    service = await startTestService({
      policyBundle: { name: 'modelgate', source: { kind: 'file', path: live, watch: true } },
    });
  });
  afterAll(() => service.close());

  async function bundleStatus(): Promise<BundleStatus> {
    const reply = await service.get('/v1/status', service.token({ scope: 'modelgate:operate' }));
    return (reply.body.bundles as BundleStatus[])[0]!;
  }

  it('keeps the active bundle and reports the refusal with the builtin named', async () => {
    expect((await bundleStatus()).active?.revision).toBe('good');
    const bad = opaBuildBundle(
      sourcesCalling('http.send({"method": "get", "url": "https://x"})'),
      `${live}.tmp`,
      {
        revision: 'bad',
      },
    );
    renameSync(bad, live);
    const deadline = Date.now() + 10_000;
    while ((await bundleStatus()).last_error === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const status = await bundleStatus();
    expect(status.last_error).toMatchObject({ code: BundleErrorCode.NotLoadable });
    expect(JSON.stringify(status.last_error)).toContain('http.send');
    expect(status.active?.revision).toBe('good');
    const decision = await service.post(
      '/v1/decide',
      { invocation: { model: 'anthropic.claude-sonnet', operation: 'chat' } },
      service.token(),
    );
    expect(decision.status).toBe(200);
    expect(decision.body.policy).toMatchObject({ revision: 'good' });
  });
});
