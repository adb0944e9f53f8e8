import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { readBundle } from '../../src/policy/bundle';
import { WasmPolicyEngine } from '../../src/policy/wasm-policy-engine';
import type { BenchPolicy } from '../lib/bench-policy';
import { timeSync } from '../lib/timing';
import { benchPolicyInput } from './policy-input-fixture';

/** Per-call cost of evaluating the policy, in µs: modelgate's WASM engine, its parts, and OPA's own evaluator. */
export interface WasmEvalResult {
  /** WasmPolicyEngine.evaluate: what the pipeline calls (input to JSON, into WASM, eval, result back). */
  engine: number;
  /** JSON.stringify of the input alone. */
  stringify: number;
  /** opa-wasm evaluate given the input already encoded (an ArrayBuffer): the evaluation and result parse. */
  preEncoded: number;
  inputBytes: number;
  /** `opa bench` (topdown, Go) on the same query and input, ns/op converted to µs. */
  opaBench: number;
  opaBenchNote: string;
}

/** Measures evaluation of `modelgate/decision` on the benchmark input. */
export async function wasmEval(policy: BenchPolicy, dir: string, measureMs: number): Promise<WasmEvalResult> {
  const input = benchPolicyInput();
  const bundle = await readBundle(policy.bundle, 'modelgate');
  const engine = await WasmPolicyEngine.load(bundle);
  const decision = engine.evaluate(input, 'modelgate/decision') as { allow?: boolean };
  if (decision?.allow !== true)
    throw new Error(`the bench input is not allowed: ${JSON.stringify(decision)}`);

  const raw = await loadPolicy(bundle.wasm);
  raw.setData(bundle.data as object);
  const text = JSON.stringify(input);
  const encoded = new TextEncoder().encode(text);
  const buffer = encoded.buffer.slice(
    encoded.byteOffset,
    encoded.byteOffset + encoded.byteLength,
  ) as ArrayBuffer;

  const inputFile = path.join(dir, 'bench-input.json');
  writeFileSync(inputFile, text);
  const out = execFileSync(
    policy.opa,
    [
      'bench',
      '-d',
      policy.regoDir,
      '--ignore',
      '*_test.rego',
      '-i',
      inputFile,
      '--format',
      'json',
      'data.modelgate.decision',
    ],
    { encoding: 'utf8' },
  );
  const bench = JSON.parse(out) as { N: number; T: number; MemAllocs: number };

  return {
    engine: timeSync(() => engine.evaluate(input, 'modelgate/decision'), measureMs).us,
    stringify: timeSync(() => JSON.stringify(input), measureMs).us,
    preEncoded: timeSync(() => raw.evaluate(buffer, 'modelgate/decision'), measureMs).us,
    inputBytes: encoded.byteLength,
    opaBench: bench.T / bench.N / 1000,
    opaBenchNote: `${bench.N} ops, ${Math.round(bench.MemAllocs / bench.N)} allocs/op`,
  };
}
