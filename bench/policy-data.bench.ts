/**
 * Cost of policy data (issue #19, item 3 "policy data"): the shipped Rego with entitlements for N
 * subjects (the bench identity plus N - 1 generated ones shaped like it), built by the real
 * `opa build -t wasm`. Per N: bundle size and build time, modelgate's bundle load (read + WASM
 * instantiate + data copied into WASM memory) time and memory, the evaluation of the benchmark input
 * by WasmPolicyEngine (what /v1/decide calls), and `opa bench` (OPA's Go evaluator, C's engine) on
 * the same query, data and input.
 *
 *   npx tsx bench/policy-data.bench.ts [--subjects 10,1000,100000] [--measure-ms 1000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readBundle } from '../src/policy/bundle';
import { WasmPolicyEngine } from '../src/policy/wasm-policy-engine';
import { buildBenchBundle, opaBinary, ROOT, setBenchSubjects } from './lib/bench-policy';
import { timeSync } from './lib/timing';
import { benchPolicyInput } from './micro/policy-input-fixture';

/** Resident memory, and what the heap and the buffers outside it (the WASM memory among them) hold, after a full GC. */
function memory(): { resident: number; held: number } {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const m = process.memoryUsage();
  return { resident: m.rss, held: m.heapUsed + m.external };
}

async function measure(n: number, dir: string, measureMs: number): Promise<Record<string, string>> {
  const opa = opaBinary();
  const regoDir = path.join(dir, `rego-${n}`);
  cpSync(path.join(ROOT, 'rego'), regoDir, { recursive: true });
  const dataFile = setBenchSubjects(regoDir, n);
  const bundle = path.join(dir, `bundle-${n}.tar.gz`);
  let started = performance.now();
  buildBenchBundle(opa, regoDir, `n${n}`, bundle);
  const buildS = (performance.now() - started) / 1000;

  const before = memory();
  started = performance.now();
  const engine = await WasmPolicyEngine.load(await readBundle(bundle, 'modelgate'));
  const loadMs = performance.now() - started;
  const after = memory();
  const input = benchPolicyInput();
  const decision = engine.evaluate(input, 'modelgate/decision') as { allow?: boolean };
  if (decision?.allow !== true)
    throw new Error(`not allowed with ${n} subjects: ${JSON.stringify(decision)}`);
  const evalUs = timeSync(() => engine.evaluate(input, 'modelgate/decision'), measureMs).us;

  const inputFile = path.join(dir, 'input.json');
  writeFileSync(inputFile, JSON.stringify(input));
  const out = execFileSync(
    opa,
    [
      'bench',
      '-d',
      regoDir,
      '--ignore',
      '*_test.rego',
      '-i',
      inputFile,
      '--format',
      'json',
      'data.modelgate.decision',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const bench = JSON.parse(out) as { N: number; T: number };
  return {
    subjects: n.toLocaleString('en-US'),
    'data.json MB': (statSync(dataFile).size / 1e6).toFixed(2),
    'bundle MB': (statSync(bundle).size / 1e6).toFixed(2),
    'opa build s': buildS.toFixed(1),
    'modelgate load ms': loadMs.toFixed(0),
    // The WASM memory is reserved for the data up front (loadWithData): pages never written are not resident.
    'modelgate resident MB': ((after.resident - before.resident) / 1e6).toFixed(1),
    'modelgate reserved MB': ((after.held - before.held) / 1e6).toFixed(1),
    'modelgate eval µs': evalUs.toFixed(1),
    'opa bench µs (C)': (bench.T / bench.N / 1000).toFixed(1),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subjects: { type: 'string', default: '10,1000,100000' },
      'measure-ms': { type: 'string', default: '1000' },
    },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'mg-policy-data-'));
  try {
    const rows = [];
    for (const n of values.subjects.split(',').map(Number)) {
      rows.push(await measure(n, dir, Number(values['measure-ms'])));
      console.error(JSON.stringify(rows.at(-1)));
    }
    const header = Object.keys(rows[0] ?? {});
    console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
    for (const row of rows) console.log(`| ${header.map((h) => row[h]).join(' | ')} |`);
    console.log(
      `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ` +
        'times vary with what else runs on it',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
