import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './bench-policy';

/** The compiled service the benchmarks start, and the preload the soak samples memory with. */
export interface BenchBuild {
  /** The CLI entry point: `node <main> serve`. */
  main: string;
  /** A `--require` preload that reports memory over IPC (see memory-probe.ts). */
  memoryProbe: string;
  /** A `--require` preload that reports per-stage timings, event-loop delay and GC (see tail-probe.ts). */
  tailProbe?: string;
}

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
// The probe is not part of the product: it is compiled out of the way, inside node_modules/.cache.
const PROBE_DIR = path.join(ROOT, 'node_modules', '.cache', 'modelgate-bench');

/** Compiles src/ into dist/ exactly as `npm run build` does, plus the memory probe; returns the entry points. */
export function buildDist(): BenchBuild {
  const tsc = (args: string[]) =>
    execFileSync(process.execPath, [TSC, ...args], { cwd: ROOT, stdio: 'inherit' });
  tsc(['-p', 'tsconfig.json']);
  tsc([
    'bench/lib/memory-probe.ts',
    'bench/lib/tail-probe.ts',
    '--outDir',
    PROBE_DIR,
    '--target',
    'ES2022',
    '--module',
    'commonjs',
    '--types',
    'node',
    '--strict',
    '--skipLibCheck',
  ]);
  return builtDist();
}

/**
 * Returns the entry points an earlier {@link buildDist} left (for `--no-build`), or throws naming what is missing:
 * a fresh checkout has neither dist/ nor the probes, and a server that fails to preload one says only that a
 * module was not found.
 */
export function builtDist(): BenchBuild {
  const build = {
    main: path.join(ROOT, 'dist', 'cli', 'main.js'),
    memoryProbe: path.join(PROBE_DIR, 'memory-probe.js'),
    tailProbe: path.join(PROBE_DIR, 'tail-probe.js'),
  };
  const missing = Object.values(build).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`--no-build needs an earlier build; run once without it (missing ${missing.join(', ')})`);
  }
  return build;
}
