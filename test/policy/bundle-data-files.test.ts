import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BundleError, readBundle } from '../../src/policy/bundle';
import { WasmPolicyEngine } from '../../src/policy/wasm-policy-engine';
import { buildBundle, opaBinary } from '../helpers/opa';

// A policy whose deny list lives in a data file of its own, below a folder that another data file also fills:
// OPA merges the two documents, so losing either one changes the decision.
const POLICY = `package gate

decision := {"allow": allow, "reasons": [], "obligations": []}

default allow := false

allow if {
  input.subject in data.a.allowed
  not blocked
}

blocked if input.subject in data.a.b.denied
`;

/** Returns OPA's own answer (`opa eval -b`, Go evaluator) for a bundle folder of Rego sources and data files. */
function opaEvalBundle(folder: string, query: string, input: unknown): unknown {
  const out = execFileSync(opaBinary(), ['eval', '-b', folder, '--stdin-input', '-f', 'json', query], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  const parsed = JSON.parse(out) as { result?: { expressions: { value: unknown }[] }[] };
  return parsed.result?.[0]?.expressions[0]?.value;
}

describe('data files at several paths of a bundle', () => {
  let dir: string;
  let compiled: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bundle-data-'));
    const sources = path.join(dir, 'src');
    mkdirSync(sources);
    writeFileSync(path.join(sources, 'gate.rego'), POLICY);
    const built = buildBundle(sources, path.join(dir, 'gate.tar.gz'), ['gate/decision']);
    compiled = path.join(dir, 'compiled');
    mkdirSync(compiled);
    execFileSync('tar', ['-xzf', built, '-C', compiled, '/policy.wasm', '/.manifest'], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Returns two bundle folders with these data files: WASM (for modelgate) and Rego (for `opa eval -b`). */
  function bundlePair(name: string, dataFiles: Record<string, string>): { wasm: string; rego: string } {
    const wasm = path.join(dir, name, 'wasm');
    const rego = path.join(dir, name, 'rego');
    cpSync(compiled, wasm, { recursive: true });
    mkdirSync(rego, { recursive: true });
    writeFileSync(path.join(rego, 'gate.rego'), POLICY);
    for (const [file, text] of Object.entries(dataFiles)) {
      for (const root of [wasm, rego]) {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
    }
    return { wasm, rego };
  }

  it('merges a nested data file into the object a root data.json gives its parent, as OPA does', async () => {
    const { wasm, rego } = bundlePair('nested', {
      'data.json': JSON.stringify({ a: { allowed: ['evil', 'good'], b: { note: 'deny list below' } } }),
      'a/b/data.json': JSON.stringify({ denied: ['evil'] }),
    });
    // Precondition: OPA reads both files, so the deny list applies.
    expect(opaEvalBundle(rego, 'data.gate.decision.allow', { subject: 'evil' })).toBe(false);
    expect(opaEvalBundle(rego, 'data.gate.decision.allow', { subject: 'good' })).toBe(true);

    const engine = await WasmPolicyEngine.load(await readBundle(wasm));
    expect(engine.evaluate({ subject: 'evil' }, 'gate/decision')).toMatchObject({ allow: false });
    expect(engine.evaluate({ subject: 'good' }, 'gate/decision')).toMatchObject({ allow: true });
    expect((await readBundle(wasm)).data).toEqual({ a: opaEvalBundle(rego, 'data.a', {}) });
  });

  it('merges sibling folders deeply, whatever order the files sort in', async () => {
    const { wasm, rego } = bundlePair('siblings', {
      'a/data.json': JSON.stringify({ allowed: ['evil', 'good'], b: { note: 'x' } }),
      'a/b/data.json': JSON.stringify({ denied: ['evil'] }),
    });
    expect(opaEvalBundle(rego, 'data.a.b', {})).toEqual({ note: 'x', denied: ['evil'] });
    const bundle = await readBundle(wasm);
    expect(bundle.data).toEqual({ a: { allowed: ['evil', 'good'], b: { note: 'x', denied: ['evil'] } } });
  });

  it('reads data.yaml and data.yml files as OPA does, instead of ignoring them', async () => {
    const { wasm, rego } = bundlePair('yaml', {
      'a/data.yml': 'allowed:\n  - evil\n  - good\n',
      'a/b/data.yaml': 'denied:\n  - evil\n',
    });
    // Precondition: OPA reads both YAML files, so the deny list applies.
    expect(opaEvalBundle(rego, 'data.a', {})).toEqual({ allowed: ['evil', 'good'], b: { denied: ['evil'] } });
    expect(opaEvalBundle(rego, 'data.gate.decision.allow', { subject: 'evil' })).toBe(false);

    const engine = await WasmPolicyEngine.load(await readBundle(wasm));
    expect(engine.evaluate({ subject: 'evil' }, 'gate/decision')).toMatchObject({ allow: false });
    expect(engine.evaluate({ subject: 'good' }, 'gate/decision')).toMatchObject({ allow: true });
  });

  it('refuses a data.yaml that is not YAML, naming the file', async () => {
    const { wasm } = bundlePair('bad-yaml', { 'a/data.yaml': 'denied: [evil\n' });
    await expect(readBundle(wasm)).rejects.toThrow('a/data.yaml in the bundle is not valid YAML');
  });

  it('refuses two data files that set the same value, as OPA does, instead of keeping one of them', async () => {
    const { wasm, rego } = bundlePair('conflict', {
      'data.json': JSON.stringify({ a: { allowed: ['good'] } }),
      'a/data.json': JSON.stringify({ allowed: ['evil', 'good'] }),
    });
    // Precondition: OPA refuses to load this bundle.
    expect(() => opaEvalBundle(rego, 'data.a', {})).toThrow();
    await expect(readBundle(wasm)).rejects.toBeInstanceOf(BundleError);
    await expect(readBundle(wasm)).rejects.toThrow('/a/allowed is set by more than one data file');
  });

  /** As bundlePair, with the manifest's `roots` set in both folders. */
  function withRoots(name: string, roots: string[], dataFiles: Record<string, string>) {
    const pair = bundlePair(name, dataFiles);
    const manifest = JSON.parse(readFileSync(path.join(pair.wasm, '.manifest'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(path.join(pair.wasm, '.manifest'), JSON.stringify({ ...manifest, roots }));
    writeFileSync(path.join(pair.rego, '.manifest'), JSON.stringify({ roots }));
    return pair;
  }

  it('refuses data outside the manifest roots, as OPA does', async () => {
    const { wasm, rego } = withRoots('outside-roots', ['gate'], {
      'a/data.json': JSON.stringify({ allowed: ['good'] }),
    });
    // Precondition: OPA refuses to load it.
    expect(() => opaEvalBundle(rego, 'data.a', {})).toThrow();
    await expect(readBundle(wasm)).rejects.toBeInstanceOf(BundleError);
    await expect(readBundle(wasm)).rejects.toThrow("manifest roots [gate] do not permit data at path '/a'");
  });

  it('loads data under the manifest roots, at any depth below a root and through a root below a folder', async () => {
    const { wasm, rego } = withRoots('inside-roots', ['gate', 'a/b', 'c'], {
      'a/b/data.json': JSON.stringify({ denied: ['evil'] }),
      'data.json': JSON.stringify({ c: { deep: { x: 1 } }, a: { b: { more: true } } }),
    });
    expect(opaEvalBundle(rego, 'data.a', {})).toEqual({ b: { denied: ['evil'], more: true } });
    expect((await readBundle(wasm)).data).toEqual({
      a: { b: { denied: ['evil'], more: true } },
      c: { deep: { x: 1 } },
    });
  });

  it.each([
    [['gate', 'gate/x'], "'gate' and 'gate/x'"],
    [['a/b', 'a'], "'a/b' and 'a'"],
    [['gate', ''], "'gate' and ''"],
  ])('refuses a manifest whose roots overlap, as OPA does: %j', async (roots, named) => {
    const { wasm, rego } = withRoots(`overlap-${roots.join('-').replace(/\W/g, '_')}`, roots, {
      'data.json': '{}',
    });
    // Precondition: OPA refuses to load it, for that reason.
    expect(() => opaEvalBundle(rego, 'data', {})).toThrow(
      expect.objectContaining({
        stdout: expect.stringMatching(/overlapped roots/) as unknown,
      }) as Error,
    );
    await expect(readBundle(wasm)).rejects.toThrow(`manifest has overlapped roots: ${named}`);
  });

  it('refuses a value beside a root, in a folder that only leads to it', async () => {
    const { wasm, rego } = withRoots('beside-root', ['gate', 'a/b'], {
      'data.json': JSON.stringify({ a: { bc: 1 } }),
    });
    expect(() => opaEvalBundle(rego, 'data.a', {})).toThrow();
    await expect(readBundle(wasm)).rejects.toThrow("do not permit data at path '/a/bc'");
  });
});
