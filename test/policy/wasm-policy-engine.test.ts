import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { readBundle } from '../../src/policy/bundle';
import { loadWithData, WasmPolicyEngine } from '../../src/policy/wasm-policy-engine';
import { buildBundle, DEFAULT_BUNDLE, opaEvalSources } from '../helpers/opa';

const SUBJECT = 'spiffe://corp/support/reply-bot';

// The default bundle's data with `extra` more subjects shaped like its own entitlements: many small objects and
// arrays, which OPA's parser holds in about ten times their JSON.
async function bundleWithSubjects(extra: number) {
  const bundle = await readBundle(DEFAULT_BUNDLE);
  const entitlements = bundle.data.entitlements as { subjects: Record<string, unknown> };
  const subjects = { ...entitlements.subjects };
  for (let i = 0; i < extra; i++) {
    subjects[`spiffe://corp/tenant-${i}/bot`] = {
      required_scopes: ['invoke:support'],
      models: ['anthropic.claude-haiku', 'anthropic.claude-sonnet'],
      operations: ['chat'],
      limits: { max_tokens_per_call: 2048, daily_tokens: 500_000 + i, requests_per_minute: 30 },
    };
  }
  return { wasm: bundle.wasm, data: { ...bundle.data, entitlements: { ...entitlements, subjects } } };
}

const input = {
  subject: {
    id: SUBJECT,
    issuer: 'https://idp.corp',
    audience: ['modelgate'],
    scopes: ['invoke:support'],
    claims: {},
    actor: null,
  },
  invocation: {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    max_tokens: 4096,
    input_tokens: 900,
    purpose: 'support-reply',
  },
  context: {},
  payload: { present: true, chars: 4100, findings: { email: 2 } },
  usage: { requests_last_minute: 4, tokens_last_hour: 30000, tokens_last_day: 120000 },
  time: { now: '2026-11-22T10:00:00Z', unix_ms: 1795341600000 },
};

describe('loading policy data into the WASM memory', () => {
  it('sizes the memory for the data first, so the load never grows it page by page', async () => {
    const { wasm, data } = await bundleWithSubjects(20_000);
    const { policy } = await loadWithData(wasm, data);
    const reserved = policy.mem.buffer;
    // Growing a WebAssembly.Memory detaches the ArrayBuffer it had. The plain load below grows it from
    // 5 pages as OPA's allocator asks, one page at a time; this one holds the data in what it reserved.
    const plain = await loadPolicy(wasm);
    const before = plain.mem.buffer;
    plain.setData(data);
    expect(before.byteLength).toBe(0);
    expect(Number(policy.dataHeapPtr)).toBeLessThan(reserved.byteLength);
    policy.evaluate(input, 'modelgate/decision');
    expect(reserved.byteLength).toBe(policy.mem.buffer.byteLength);
  });

  it('evaluates exactly as OPA SDK loading does', async () => {
    const { wasm, data } = await bundleWithSubjects(2_000);
    const { policy: sized } = await loadWithData(wasm, data);
    const plain = await loadPolicy(wasm);
    plain.setData(data);
    const result = sized.evaluate(input, 'modelgate/decision') as { result: { allow: boolean } }[];
    expect(result).toEqual(plain.evaluate(input, 'modelgate/decision'));
    expect(result[0]?.result.allow).toBe(true);
    const stranger = { ...input, subject: { ...input.subject, id: 'spiffe://corp/tenant-1999/bot' } };
    expect(sized.evaluate(stranger, 'modelgate/decision')).toEqual(
      plain.evaluate(stranger, 'modelgate/decision'),
    );
  });
});

describe('data and input that OPA parses differently from JSON.parse', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-wasm-surrogate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The escape is written as text: a file any tool may produce, which JSON.parse reads as a lone surrogate.
  const DATA_WITH_LONE_SURROGATE = '{"names": ["a\\ud800b", "plain"], "keyed": {"x\\udc00": 1}}';

  it("loads a folder bundle whose data holds an unpaired surrogate escape, as OPA's server reads it (U+FFFD)", async () => {
    const sources = path.join(dir, 'src');
    mkdirSync(sources, { recursive: true });
    writeFileSync(
      path.join(sources, 'policy.rego'),
      'package t\n\nresult := {"names": data.names, "keyed": data.keyed}\n',
    );
    writeFileSync(path.join(sources, 'data.json'), DATA_WITH_LONE_SURROGATE);
    const folder = path.join(dir, 'bundle');
    mkdirSync(folder, { recursive: true });
    execFileSync('tar', [
      '-xzf',
      buildBundle(sources, path.join(dir, 'b.tar.gz'), ['t/result']),
      '-C',
      folder,
    ]);
    // opa build re-encodes the data; the folder gets the file as written.
    writeFileSync(path.join(folder, 'data.json'), DATA_WITH_LONE_SURROGATE);

    const engine = await WasmPolicyEngine.load(await readBundle(folder));
    const result = engine.evaluate({}, 't/result');
    expect(result).toEqual({ names: ['a\ufffdb', 'plain'], keyed: { 'x\ufffd': 1 } });
    expect(result).toEqual(opaEvalSources(sources, 'data.t.result', {}));
  });

  it('says what OPA refused when an input holds an unpaired surrogate, instead of "undefined"', async () => {
    const engine = await WasmPolicyEngine.load(await readBundle(DEFAULT_BUNDLE));
    expect(() => engine.evaluate({ subject: { id: 'x\ud800' } }, 'modelgate/decision')).toThrow(
      'policy evaluation failed: illegal string escape character',
    );
  });
});

describe('results that hold sets', () => {
  let dir: string;
  let sources: string;
  let engine: WasmPolicyEngine;
  const POLICY = `package t

deny contains msg if {
	some name in input.names
	msg := sprintf("%s is not allowed", [name])
}

nested := {"ids": {n | some n in input.numbers}, "empty": set(), "objects": {{"k": n} | some n in input.numbers}}

keyed := {1: "one", "b": {"z", "a"}, {"k": {2: 3}}: 4, ["x", 1]: 5}

# A set member that is itself a set sorts after objects, as a set, though it is written as an array.
mixed := {{2}, {"a": 1}, [1], "x", {1, 0}, [0]}

# A set: read through the Rego parser, not JSON.parse.
big := {concat("", [input.chunk | some _ in numbers.range(1, 320)])}
`;
  const input = {
    names: ['zed', 'alice', 'Émile', 'bob', 'carol', '10', '9'],
    numbers: [30, 2, 100, -1, 2.5],
    chunk: 'x'.repeat(65_536) + '\\"',
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-wasm-sets-'));
    sources = path.join(dir, 'src');
    mkdirSync(sources, { recursive: true });
    writeFileSync(path.join(sources, 'policy.rego'), POLICY);
    const entrypoints = ['t/deny', 't/nested', 't/keyed', 't/mixed', 't/big'];
    engine = await WasmPolicyEngine.load(
      await readBundle(buildBundle(sources, path.join(dir, 'b.tar.gz'), entrypoints)),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['deny', 'nested', 'keyed', 'mixed'])(
    "lists the sets of %s in OPA's order, as OPA's server answers",
    (rule) => {
      const expected = opaEvalSources(sources, `data.t.${rule}`, input);
      // Precondition: the module's own order is not OPA's, so the test can fail.
      if (rule === 'deny') expect(JSON.stringify(expected)).not.toBe(JSON.stringify(input.names));
      // Arrays in order; an object's keys in any (OPA writes them sorted, the module as it holds them).
      expect(engine.evaluate(input, `t/${rule}`)).toEqual(expected);
    },
  );

  it('reads a set holding a string of megabytes, escapes included', () => {
    const [result] = engine.evaluate(input, 't/big') as [string];
    expect(result).toHaveLength(320 * input.chunk.length);
    expect(result.endsWith('x\\"')).toBe(true);
  });
});
