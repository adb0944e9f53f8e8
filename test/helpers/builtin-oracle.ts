import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBundle } from '../../src/policy/bundle';
import { WasmPolicyEngine } from '../../src/policy/wasm-policy-engine';
import { buildBundle, opaEvalSources } from './opa';

/** One Rego expression to evaluate both ways; it may read `input`. */
export interface BuiltinCase {
  expr: string;
  /** Extra Rego lines in the module (helper rules, `import`s are not allowed). */
  rules?: string;
  /**
   * The value is a set: compared sorted (OPA's JSON lists a set sorted, the module's in hash order). Whether it
   * is a set is for the case itself to prove (`count(s & {...})`).
   */
  set?: boolean;
}

/** What one case answered: `undefined` where the rule was undefined (the builtin failed, as OPA's does). */
export interface BuiltinAnswer {
  expr: string;
  wasm: unknown;
  opa: unknown;
}

/**
 * Returns each case's value from modelgate's WASM engine (the module built by the real `opa build -t wasm`, its
 * host builtins ours) beside OPA's own evaluator (`opa eval`) on the same sources and input: OPA is the oracle.
 */
export async function answersOfBoth(cases: BuiltinCase[], input: unknown = {}): Promise<BuiltinAnswer[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-builtins-'));
  try {
    const rules = cases
      .map((c, i) => `c${i} := ${c.set ? `sort(${c.expr})` : c.expr}\n${c.rules ?? ''}`)
      .join('\n');
    writeFileSync(path.join(dir, 'oracle.rego'), `package oracle\n\n${rules}\n`);
    const bundle = buildBundle(dir, path.join(os.tmpdir(), `${path.basename(dir)}.tar.gz`), ['oracle']);
    const engine = await WasmPolicyEngine.load(await readBundle(bundle));
    const wasm = (engine.evaluate(input, 'oracle') ?? {}) as Record<string, unknown>;
    const opa = (opaEvalSources(dir, 'data.oracle', input) ?? {}) as Record<string, unknown>;
    rmSync(bundle, { force: true });
    return cases.map((c, i) => ({ expr: c.expr, wasm: wasm[`c${i}`], opa: opa[`c${i}`] }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Returns each case's value from modelgate's WASM engine alone: for input on which OPA's own evaluator would
 * spend minutes, where the case is about modelgate's bounds rather than OPA's answer.
 */
export async function answersOfWasm(cases: BuiltinCase[], input: unknown = {}): Promise<unknown[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-builtins-'));
  try {
    writeFileSync(
      path.join(dir, 'oracle.rego'),
      `package oracle\n\n${cases.map((c, i) => `c${i} := ${c.expr}`).join('\n')}\n`,
    );
    const bundle = buildBundle(dir, path.join(os.tmpdir(), `${path.basename(dir)}.tar.gz`), ['oracle']);
    const engine = await WasmPolicyEngine.load(await readBundle(bundle));
    rmSync(bundle, { force: true });
    const wasm = (engine.evaluate(input, 'oracle') ?? {}) as Record<string, unknown>;
    return cases.map((_, i) => wasm[`c${i}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Declares the tests of a table of cases against OPA: the cases are evaluated both ways once; OPA must answer
 * every case but those in the `mustFail` group (which it must leave undefined), and each answer must be OPA's.
 */
export function describeAgainstOpa(
  groups: Record<string, BuiltinCase[]>,
  mustFail: string,
  input: unknown = {},
): void {
  const cases = Object.values(groups).flat();
  const failing = new Set(groups[mustFail]?.map((c) => c.expr));
  let answers: BuiltinAnswer[] = [];

  beforeAll(async () => {
    answers = await answersOfBoth(cases, input);
  });

  it('has OPA answer every case but those that must be undefined', () => {
    expect(answers.filter((a) => (a.opa === undefined) !== failing.has(a.expr))).toEqual([]);
  });

  describe.each(Object.entries(groups))('%s', (_, group) => {
    it.each(group.map((c) => c.expr))('answers %s as OPA does', (expr) => {
      const answer = answers.find((a) => a.expr === expr);
      expect(answer).toBeDefined();
      expect(answer?.wasm).toEqual(answer?.opa);
    });
  });
}
