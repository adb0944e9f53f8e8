import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { list } from 'tar';

/** A bundle's files read into memory: what the WASM engine needs and what identifies it. */
export interface Bundle {
  /** The bundle's name: the configured name, or the file/folder name without `.tar.gz`. */
  name: string;
  /** `.manifest` revision; when the manifest has none, `sha256:<first 12 hex of policy.wasm>`. */
  revision: string;
  manifest: BundleManifest;
  wasm: Buffer;
  /** Every data.json in the bundle, merged at its path. */
  data: Record<string, unknown>;
}

/** The parts of OPA's `.manifest` that modelgate reads. */
export interface BundleManifest {
  revision?: string;
  roots?: string[];
  wasm?: { entrypoint: string; module: string }[];
  metadata?: Record<string, unknown>;
}

/** Thrown when a bundle cannot be read or is not a WASM bundle. */
export class BundleError extends Error {}

/** Reads an OPA bundle from a `.tar.gz` file or an extracted folder. */
export async function readBundle(location: string, name?: string): Promise<Bundle> {
  const files = await readBundleFiles(location);
  const manifest = parseJsonFile<BundleManifest>(files, '.manifest') ?? {};
  const wasmPath = manifest.wasm?.[0]?.module?.replace(/^\//, '') ?? 'policy.wasm';
  const wasm = files.get(wasmPath);
  if (!wasm) {
    throw new BundleError(
      `${location}: no ${wasmPath} in the bundle; build it with \`opa build -t wasm -e <entrypoint> <rego dir>\``,
    );
  }
  return {
    name: name ?? bundleName(location),
    revision: manifest.revision || `sha256:${createHash('sha256').update(wasm).digest('hex').slice(0, 12)}`,
    manifest,
    wasm,
    data: mergeDataFiles(files),
  };
}

function bundleName(location: string): string {
  return path.basename(location).replace(/\.tar\.gz$|\.tgz$/, '');
}

async function readBundleFiles(location: string): Promise<Map<string, Buffer>> {
  let stat;
  try {
    stat = await fs.stat(location);
  } catch (err) {
    throw new BundleError(`${location}: cannot read the bundle (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  return stat.isDirectory() ? readFolder(location) : readTarball(location);
}

async function readTarball(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  try {
    await list({
      file,
      onReadEntry: (entry) => {
        if (entry.type !== 'File') return entry.resume();
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => files.set(normalise(entry.path), Buffer.concat(chunks)));
      },
    });
  } catch (err) {
    throw new BundleError(`${file}: not a readable .tar.gz bundle (${(err as Error).message})`, {
      cause: err,
    });
  }
  return files;
}

async function readFolder(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(normalise(path.relative(dir, full)), await fs.readFile(full));
  }
  return files;
}

function normalise(p: string): string {
  return p
    .split(path.sep)
    .join('/')
    .replace(/^\.?\//, '');
}

function parseJsonFile<T>(files: Map<string, Buffer>, name: string): T | undefined {
  const raw = files.get(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch (err) {
    throw new BundleError(`${name} in the bundle is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

// OPA places the contents of `a/b/data.json` at `data.a.b`; a root data.json is `data` itself.
function mergeDataFiles(files: Map<string, Buffer>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const dataFiles = [...files.keys()].filter((f) => f === 'data.json' || f.endsWith('/data.json')).sort();
  for (const file of dataFiles) {
    const value = parseJsonFile<unknown>(files, file);
    const segments = file.split('/').slice(0, -1);
    placeAt(data, segments, value, file);
  }
  return data;
}

function placeAt(root: Record<string, unknown>, segments: string[], value: unknown, file: string): void {
  let node = root;
  for (const segment of segments) {
    const next = node[segment];
    if (next === undefined) node[segment] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new BundleError(`${file}: data path conflicts with a non-object value at ${segment}`);
    }
    node = node[segment] as Record<string, unknown>;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (segments.length === 0) throw new BundleError(`${file}: the root data.json must hold an object`);
    const parent = segments
      .slice(0, -1)
      .reduce<Record<string, unknown>>((n, s) => n[s] as Record<string, unknown>, root);
    parent[segments[segments.length - 1] as string] = value;
    return;
  }
  Object.assign(node, value);
}
