import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_ENTITLEMENT, BENCH_SUBJECT } from './workload';

/** The repository root (bench/lib/../..). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** The policy every contender evaluates: one Rego folder, and the WASM bundle built from it. */
export interface BenchPolicy {
  /** A copy of rego/ with the benchmark identity added to entitlements/data.json. */
  regoDir: string;
  /** `opa build -t wasm` of regoDir, for modelgate. */
  bundle: string;
  opa: string;
}

/** Returns the path of the pinned OPA binary (scripts/ensure-opa.sh installs it if needed). */
export function opaBinary(): string {
  return execFileSync(path.join(ROOT, 'scripts', 'ensure-opa.sh'), { encoding: 'utf8' }).trim();
}

/**
 * Copies rego/ into `dir`, gives the data the benchmark identity (and `subjects`: see setBenchSubjects), and
 * builds the WASM bundle with
 * the real `opa build` and the same flags as scripts/build-bundles.sh: the Rego and the data that
 * modelgate's WASM evaluates are exactly what `opa run --server` loads.
 */
export function buildBenchPolicy(dir: string, options: { subjects?: number } = {}): BenchPolicy {
  const opa = opaBinary();
  const regoDir = path.join(dir, 'rego');
  cpSync(path.join(ROOT, 'rego'), regoDir, { recursive: true });
  setBenchSubjects(regoDir, options.subjects);
  const bundle = path.join(dir, 'bench-bundle.tar.gz');
  buildBenchBundle(opa, regoDir, 'bench', bundle);
  return { regoDir, bundle, opa };
}

/**
 * Adds the benchmark identity to the entitlements in `regoDir`; with `subjects`, gives them the benchmark
 * identity and `subjects - 1` generated subjects shaped like it, and nothing else: policy data of a chosen size.
 * Returns the data file's path.
 */
export function setBenchSubjects(regoDir: string, subjects?: number): string {
  const dataFile = path.join(regoDir, 'entitlements', 'data.json');
  const data = JSON.parse(readFileSync(dataFile, 'utf8')) as { subjects: Record<string, unknown> };
  if (subjects === undefined) {
    data.subjects[BENCH_SUBJECT] = BENCH_ENTITLEMENT;
  } else {
    // The bench subject sorts in the middle of the generated ones, so no lookup is a lucky first or last.
    data.subjects = { [BENCH_SUBJECT]: BENCH_ENTITLEMENT };
    for (let i = 1; i < subjects; i++) data.subjects[`spiffe://corp/tenant-${i}/bot`] = BENCH_ENTITLEMENT;
  }
  writeFileSync(dataFile, JSON.stringify(data));
  return dataFile;
}

/** Builds `regoDir` into a WASM bundle at `out` with the flags of scripts/build-bundles.sh and `revision`. */
export function buildBenchBundle(opa: string, regoDir: string, revision: string, out: string): void {
  execFileSync(
    opa,
    [
      'build',
      '-t',
      'wasm',
      '-e',
      'modelgate/decision',
      '-e',
      'modelgate/limits',
      '--ignore',
      '*_test.rego',
      '--revision',
      revision,
      '-o',
      out,
      regoDir,
    ],
    { stdio: 'pipe' },
  );
}
