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
