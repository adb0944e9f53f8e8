import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Returns the path of the pinned OPA binary (installing it if needed). */
export function opaBinary(): string {
  return execFileSync(path.join(root, 'scripts', 'ensure-opa.sh'), { encoding: 'utf8' }).trim();
}

/** Builds a WASM bundle with the real `opa build` and returns its path. */
export function buildBundle(
  regoDir: string,
  outFile: string,
  entrypoints: string[],
  revision = 'test',
): string {
  const args = ['build', '-t', 'wasm', '--ignore', '*_test.rego', '--revision', revision, '-o', outFile];
  for (const e of entrypoints) args.push('-e', e);
  execFileSync(opaBinary(), [...args, regoDir], { stdio: 'pipe' });
  return outFile;
}

/**
 * Runs `opa eval` (OPA's own evaluator, not WASM) on a folder of Rego sources and data; returns the
 * value of the query. A WASM bundle keeps only stubs of its Rego, so the sources are the reference.
 */
export function opaEvalSources(regoDir: string, query: string, input: unknown): unknown {
  const args = ['eval', '-d', regoDir, '--ignore', '*_test.rego', '--stdin-input', '--format', 'json', query];
  const out = execFileSync(opaBinary(), args, { input: JSON.stringify(input), encoding: 'utf8' });
  const parsed = JSON.parse(out) as { result?: { expressions: { value: unknown }[] }[] };
  return parsed.result?.[0]?.expressions[0]?.value;
}

/** Returns the `.manifest` revision of a bundle. */
export function bundleRevision(bundle: string): string {
  const manifest = execFileSync('tar', ['-xzOf', bundle, '/.manifest'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(manifest) as { revision: string }).revision;
}

/** Returns the revision `npm run build:bundles` gives a folder of Rego sources. */
export function sourcesRevision(regoDir: string): string {
  return execFileSync('bash', [path.join(root, 'scripts', 'rego-revision.sh'), regoDir], {
    encoding: 'utf8',
  }).trim();
}

/** The committed default bundle. */
export const DEFAULT_BUNDLE = path.join(root, 'bundles', 'modelgate.tar.gz');
/** The policy sources of the default bundle. */
export const REGO_DIR = path.join(root, 'rego');
