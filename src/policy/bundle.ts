import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Parser } from 'tar';
import { parse as parseYaml } from 'yaml';
import { BundleErrorCode } from '../errors';

/** A bundle's files read into memory: what the WASM engine needs and what identifies it. */
export interface Bundle {
  /** The bundle's name: the configured name, or the file/folder name without `.tar.gz`. */
  name: string;
  /** `.manifest` revision; when the manifest has none, `sha256:<first 12 hex of policy.wasm>`. */
  revision: string;
  manifest: BundleManifest;
  wasm: Buffer;
  /** Every data.json, data.yaml and data.yml in the bundle, merged at its path. */
  data: Record<string, unknown>;
}

/** The parts of OPA's `.manifest` that modelgate reads. */
export interface BundleManifest {
  revision?: string;
  roots?: string[];
  wasm?: { entrypoint: string; module: string }[];
  metadata?: Record<string, unknown>;
}

/** Thrown when a bundle cannot be read, is not a WASM bundle, or fails its signature check. */
export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(message: string, options: { code?: BundleErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BundleError';
    this.code = options.code ?? BundleErrorCode.Invalid;
  }
}

/** The files of a bundle by path (no leading `/`), as read from a tarball or a folder. */
export type BundleFiles = Map<string, Buffer>;

// A gzip bomb or a runaway build must not exhaust memory: OPA's default limit is 1 GiB; a WASM
// policy bundle is a few MiB, so 256 MiB is generous.
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/** Reads an OPA bundle from a `.tar.gz` file or an extracted folder (no signature check). */
export async function readBundle(location: string, name?: string): Promise<Bundle> {
  return parseBundle(await readBundleFiles(location), name ?? bundleName(location), location);
}

/** Returns the bundle held in these files; `where` names it in errors. */
export function parseBundle(files: BundleFiles, name: string, where: string): Bundle {
  const manifest = parseJsonFile<BundleManifest>(files, '.manifest') ?? {};
  const wasmPath = manifest.wasm?.[0]?.module?.replace(/^\//, '') ?? 'policy.wasm';
  const wasm = files.get(wasmPath);
  if (!wasm) {
    throw new BundleError(
      `${where}: no ${wasmPath} in the bundle; build it with \`opa build -t wasm -e <entrypoint> <rego dir>\``,
    );
  }
  const data = mergeDataFiles(files);
  checkRootsApart(manifest.roots ?? []);
  checkDataRoots(data, manifest.roots);
  return {
    name,
    revision: manifest.revision || `sha256:${createHash('sha256').update(wasm).digest('hex').slice(0, 12)}`,
    manifest,
    wasm,
    data,
  };
}

// OPA refuses a manifest with one root inside another (or twice): a pipeline's bundle that OPA would not load must
// not quietly become the policy here.
function checkRootsApart(roots: string[]): void {
  const segments = roots.map((r) => r.split('/').filter((s) => s !== ''));
  for (let i = 0; i < roots.length; i++) {
    for (let j = i + 1; j < roots.length; j++) {
      const [a, b] = [segments[i]!, segments[j]!];
      const [short, long] = a.length <= b.length ? [a, b] : [b, a];
      if (short.every((s, k) => s === long[k])) {
        throw new BundleError(`manifest has overlapped roots: '${roots[i]}' and '${roots[j]}'`);
      }
    }
  }
}

// A bundle claims the parts of `data` its manifest's roots name (default: all of it), and OPA refuses one whose
// data lies elsewhere: in a fleet with several bundles, data outside a bundle's roots would overwrite another's.
function checkDataRoots(data: Record<string, unknown>, roots: string[] | undefined): void {
  if (roots === undefined || roots.includes('')) return;
  const rootPaths = roots.map((r) => r.split('/').filter((s) => s !== ''));
  const within = (at: string[]) =>
    rootPaths.some((r) => r.length <= at.length && r.every((s, i) => s === at[i]));
  const leadsTo = (at: string[]) =>
    rootPaths.some((r) => r.length > at.length && at.every((s, i) => s === r[i]));
  const visit = (node: Record<string, unknown>, at: string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      const here = [...at, key];
      if (within(here)) continue;
      if (leadsTo(here) && isObject(value)) {
        visit(value, here);
        continue;
      }
      throw new BundleError(
        `manifest roots [${roots.join(' ')}] do not permit data at path '/${here.join('/')}'`,
      );
    }
  };
  visit(data, []);
}

/** Returns the name a bundle file or folder gets when none is configured. */
export function bundleName(location: string): string {
  return path.basename(location).replace(/\.tar\.gz$|\.tgz$/, '');
}

/** Returns the files of a `.tar.gz` bundle or an extracted bundle folder. */
export async function readBundleFiles(location: string): Promise<BundleFiles> {
  let stat;
  try {
    stat = await fs.stat(location);
  } catch (err) {
    throw new BundleError(`${location}: cannot read the bundle (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  if (stat.isDirectory()) return readFolder(location);
  if (stat.size > MAX_BUNDLE_BYTES)
    throw new BundleError(`${location}: larger than ${MAX_BUNDLE_BYTES} bytes`);
  return readTarball(await fs.readFile(location), location);
}

/**
 * Returns the files of a `.tar.gz` held in memory. Strict: a truncated or corrupt archive (a file
 * still being written, a cut-off download) is an error, never a bundle with files missing.
 */
export async function readTarball(gzipped: Buffer, where: string): Promise<BundleFiles> {
  const tar = await inflate(gzipped, where);
  const files: BundleFiles = new Map();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const parser = new Parser({
        strict: true,
        onReadEntry: (entry) => {
          if (entry.type !== 'File') return entry.resume();
          const chunks: Buffer[] = [];
          entry.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (total > MAX_BUNDLE_BYTES) parser.abort(new Error(`larger than ${MAX_BUNDLE_BYTES} bytes`));
            chunks.push(chunk);
          });
          entry.on('end', () => {
            const name = normalise(entry.path);
            // Verified and loaded would be the same copy (the last), but a reviewer's tool may read the other.
            if (files.has(name)) parser.abort(new Error(`${name} appears more than once`));
            else files.set(name, Buffer.concat(chunks));
          });
        },
      });
      parser.on('error', reject);
      parser.on('abort', reject);
      parser.on('end', () => resolve());
      parser.end(tar);
    });
  } catch (err) {
    throw new BundleError(`${where}: not a readable .tar.gz bundle (${(err as Error).message})`, {
      cause: err,
    });
  }
  return files;
}

const gunzipAsync = promisify(gunzip);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

// Inflated off the event loop and capped at the bundle limit: the tar parser would otherwise inflate
// synchronously, and a gzip bomb (a 100 KiB entry that inflates to gigabytes, read before any
// signature check) would stall every decision for minutes. A plain tar is passed through as before.
async function inflate(body: Buffer, where: string): Promise<Buffer> {
  if (!body.subarray(0, 2).equals(GZIP_MAGIC)) return body;
  try {
    return await gunzipAsync(body, { maxOutputLength: MAX_BUNDLE_BYTES });
  } catch (err) {
    const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    const reason = tooLarge ? `larger than ${MAX_BUNDLE_BYTES} bytes` : (err as Error).message;
    throw new BundleError(`${where}: not a readable .tar.gz bundle (${reason})`, { cause: err });
  }
}

// The same limit as a tarball's, summed from the sizes on disk before anything is read: the files stay in memory
// beside the policy in force, and a large artefact left in the folder would be read whole first.
async function readFolder(dir: string): Promise<BundleFiles> {
  const files: BundleFiles = new Map();
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  let total = 0;
  for (const full of paths) total += (await fs.stat(full)).size;
  if (total > MAX_BUNDLE_BYTES) throw new BundleError(`${dir}: larger than ${MAX_BUNDLE_BYTES} bytes`);
  for (const full of paths) files.set(normalise(path.relative(dir, full)), await fs.readFile(full));
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

// The data files OPA reads from a bundle: JSON, and YAML under either extension.
const DATA_FILES = new Set(['data.json', 'data.yaml', 'data.yml']);

/**
 * Returns whether modelgate reads this bundle file to evaluate: the manifest (roots, revision, which module),
 * a data file at any path, or a WASM module.
 */
export function isEvaluatedFile(name: string): boolean {
  return name === '.manifest' || DATA_FILES.has(path.posix.basename(name)) || name.endsWith('.wasm');
}

function parseYamlFile(files: Map<string, Buffer>, name: string): unknown {
  try {
    return parseYaml(files.get(name)!.toString('utf8')) as unknown;
  } catch (err) {
    throw new BundleError(`${name} in the bundle is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

// OPA places the contents of `a/b/data.json` at `data.a.b`; a root data.json is `data` itself. Like OPA, every
// data file is merged deeply into the documents the others made, and two files that set the same value make the
// bundle invalid: keeping one of them would silently drop the other (a deny list, say).
function mergeDataFiles(files: Map<string, Buffer>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const dataFiles = [...files.keys()].filter((f) => DATA_FILES.has(path.posix.basename(f))).sort();
  for (const file of dataFiles) {
    const value = file.endsWith('.json') ? parseJsonFile<unknown>(files, file) : parseYamlFile(files, file);
    const segments = file.split('/').slice(0, -1);
    if (segments.length === 0 && !isObject(value)) {
      throw new BundleError(`${file}: a root data file must hold an object`);
    }
    const tree = segments.reduceRight<unknown>((inner, segment) => ownObject([[segment, inner]]), value);
    mergeInto(data, tree as Record<string, unknown>, file, '');
  }
  return data;
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  file: string,
  at: string,
): void {
  for (const [key, value] of Object.entries(source)) {
    const where = `${at}/${key}`;
    if (!Object.hasOwn(target, key)) {
      setOwn(target, key, value);
      continue;
    }
    const existing = target[key];
    if (isObject(existing) && isObject(value)) {
      mergeInto(existing, value, file, where);
      continue;
    }
    throw new BundleError(
      `${file}: ${where} is set by more than one data file (OPA refuses such a bundle too)`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A key named `__proto__` (a folder, or a key in the JSON) is data like any other: never the object's prototype.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function ownObject(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) setOwn(out, key, value);
  return out;
}
