/**
 * Verifies a bundle's `.signatures.json` exactly as OPA does (`bundle/verify.go`, `bundle/bundle.go`):
 * one JWT; its key id from the configuration, else the JWT header's `kid`, else the deprecated
 * `keyid` claim; the scope from the configuration, else the key's, compared with the `scope` claim;
 * then every file of the bundle must be listed with a matching digest, and every listed file present.
 * Stricter than OPA on purpose, each with its own code: the JWT's `alg` must be the key's configured
 * algorithm, `exp`/`nbf` are honoured when present, MD5 and SHA-1 digests are refused, and `exclude_files`
 * never covers a file that is evaluated.
 */
import jwt from 'jsonwebtoken';
import { verifyJwt } from '../identity/verify-jwt';
import { BundleErrorCode } from '../errors';
import { BundleError, isEvaluatedFile, type BundleFiles } from './bundle';
import type { FileHashThreadData, FileHashThreadReply } from './file-hash-thread';
import { FILE_HASH_ALGORITHMS, isStructuredFile, opaFileHash } from './opa-file-hash';
import { runOnThread } from '../threads/run-on-thread';
import type { VerificationKey } from './verification-keys';

export const SIGNATURES_FILE = '.signatures.json';

/** A bundle's `signing` settings: OPA's `bundles.<name>.signing`, plus `required`. */
export interface SigningPolicy {
  /** Refuse a bundle without `.signatures.json`. */
  required: boolean;
  keyId?: string;
  scope?: string;
  /** Glob patterns (OPA's `exclude_files`) of files that need not be listed. */
  excludeFiles: string[];
}

/** What a verified signature says; `keyId` is null for an unsigned bundle that was allowed. */
export interface SignatureCheck {
  /** The key that verified it: the configured key id when there is one (OPA's rule), else the one named. */
  keyId: string | null;
  /** The key id the signature itself names (its `kid`, else `keyid`), when it names one. */
  namedKeyId: string | null;
  /** Names of the files the signature covered. */
  files: string[];
  /** `iat` of the signature, as ISO time, when present. */
  signedAt: string | null;
}

interface FileEntry {
  name: string;
  hash: string;
  algorithm: string;
}

interface SignaturePayload {
  files?: FileEntry[];
  keyid?: string;
  scope?: string;
  iat?: number;
}

/** Returns what the signature establishes, or throws BundleError with the specific code. */
export async function verifyBundleSignature(
  files: BundleFiles,
  options: { signing?: SigningPolicy; keys: Map<string, VerificationKey>; nowMs: number },
): Promise<SignatureCheck> {
  const raw = files.get(SIGNATURES_FILE);
  if (!raw) {
    if (options.signing?.required) {
      throw new BundleError('the bundle is not signed (no .signatures.json) and signing is required', {
        code: BundleErrorCode.Unsigned,
      });
    }
    return { keyId: null, namedKeyId: null, files: [], signedAt: null };
  }
  if (!options.signing || options.keys.size === 0) {
    throw new BundleError(
      'the bundle is signed but no verification key is configured for it (set bundles.<name>.signing and keys)',
      { code: BundleErrorCode.VerificationKeyMissing },
    );
  }
  const token = singleToken(raw);
  const { header, payload } = decode(token);
  const namedKeyId = stringOr(header.kid) || stringOr(payload.keyid);
  const keyId = options.signing.keyId || namedKeyId;
  if (!keyId) throw new BundleError('the signature names no key id', { code: BundleErrorCode.KeyUnknown });
  const key = options.keys.get(keyId);
  if (!key) {
    throw new BundleError(`no verification key "${keyId}" is configured`, {
      code: BundleErrorCode.KeyUnknown,
    });
  }
  if (header.alg !== key.algorithm) {
    throw new BundleError(
      `the signature uses ${String(header.alg)} but key "${keyId}" is configured for ${key.algorithm}`,
      { code: BundleErrorCode.AlgorithmMismatch },
    );
  }
  verifyJws(token, key, options.nowMs);
  const scope = options.signing.scope || key.scope || '';
  if ((payload.scope ?? '') !== scope) {
    throw new BundleError(`the signature's scope "${payload.scope ?? ''}" is not "${scope}"`, {
      code: BundleErrorCode.ScopeMismatch,
    });
  }
  await checkFiles(files, payload.files ?? [], options.signing.excludeFiles);
  return {
    keyId,
    namedKeyId: namedKeyId || null,
    files: (payload.files ?? []).map((f) => f.name),
    signedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000).toISOString() : null,
  };
}

function singleToken(raw: Buffer): string {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new BundleError('.signatures.json is not JSON', {
      code: BundleErrorCode.SignatureMalformed,
      cause: err,
    });
  }
  const signatures = (doc as { signatures?: unknown } | null)?.signatures;
  if (!Array.isArray(signatures) || signatures.length !== 1 || typeof signatures[0] !== 'string') {
    throw new BundleError('.signatures.json must hold exactly one JWT in "signatures"', {
      code: BundleErrorCode.SignatureMalformed,
    });
  }
  return signatures[0];
}

function decode(token: string): { header: Record<string, unknown>; payload: SignaturePayload } {
  const parts = token.split('.');
  try {
    if (parts.length !== 3) throw new Error('not a compact JWS');
    const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    const header = json(parts[0]!) as Record<string, unknown>;
    const payload = json(parts[1]!) as SignaturePayload;
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) {
      throw new Error('header and payload must be objects');
    }
    if (payload.files !== undefined && !Array.isArray(payload.files))
      throw new Error('"files" must be a list');
    return { header, payload };
  } catch (err) {
    throw new BundleError(`the signature JWT cannot be decoded: ${(err as Error).message}`, {
      code: BundleErrorCode.SignatureMalformed,
      cause: err,
    });
  }
}

function verifyJws(token: string, key: VerificationKey, nowMs: number): void {
  try {
    verifyJwt(token, key.key, { algorithm: key.algorithm, clockTimestamp: Math.floor(nowMs / 1000) });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError || err instanceof jwt.NotBeforeError) {
      throw new BundleError(`the signature is not valid now: ${err.message}`, {
        code: BundleErrorCode.SignatureExpired,
        cause: err,
      });
    }
    throw new BundleError(`the signature does not verify with key "${key.id}": ${(err as Error).message}`, {
      code: BundleErrorCode.SignatureInvalid,
      cause: err,
    });
  }
}

async function checkFiles(files: BundleFiles, listed: FileEntry[], exclude: string[]): Promise<void> {
  const expected = new Map(listed.map((f) => [f.name.replace(/^\//, ''), f]));
  const excluded = exclude.map(globToRegExp);
  const toHash: [string, Buffer, FileEntry][] = [];
  // Every file is matched to its entry first: an unsigned file is refused before any digest is taken.
  for (const [name, content] of files) {
    if (name === SIGNATURES_FILE) continue;
    if (excluded.some((re) => re.test(name))) {
      // Stricter than OPA, which still loads an excluded file: a glob meant for notes must not open the policy,
      // its data or its manifest to anyone who can change the bundle on its way.
      if (isEvaluatedFile(name)) {
        throw new BundleError(`${name} matches exclude_files but is evaluated, so it must be signed`, {
          code: BundleErrorCode.FileUnsigned,
        });
      }
      expected.delete(name);
      continue;
    }
    const entry = expected.get(name);
    if (!entry) {
      throw new BundleError(`${name} is in the bundle but not in its signature`, {
        code: BundleErrorCode.FileUnsigned,
      });
    }
    if (!FILE_HASH_ALGORITHMS[entry.algorithm]) {
      throw new BundleError(`${name}: digest algorithm "${entry.algorithm}" is not accepted`, {
        code: BundleErrorCode.HashAlgorithmUnsupported,
      });
    }
    toHash.push([name, content, entry]);
    expected.delete(name);
  }
  if (expected.size > 0) {
    throw new BundleError(`signed but not in the bundle: ${[...expected.keys()].join(', ')}`, {
      code: BundleErrorCode.FileMissing,
    });
  }
  for (const [name, content, entry] of toHash) {
    const actual = await fileHash(name, content, entry.algorithm);
    if (actual !== entry.hash.toLowerCase()) {
      throw new BundleError(`${name}: digest mismatch (signed ${entry.hash}, got ${actual})`, {
        code: BundleErrorCode.DigestMismatch,
      });
    }
  }
}

// A structured file's digest parses and re-spells it: about 0.3 s per MB on the event loop, and the file's
// content comes from whoever serves the bundle, before its digest is known to match. Past this size it is
// hashed on a thread of its own, so decisions go on while a forged 200 MB data.json is read.
const THREAD_HASH_BYTES = 1024 * 1024;

async function fileHash(name: string, content: Buffer, algorithm: string): Promise<string> {
  if (!isStructuredFile(name) || content.length < THREAD_HASH_BYTES) {
    try {
      return opaFileHash(name, content, algorithm);
    } catch (err) {
      throw new BundleError(`${name}: cannot hash: ${(err as Error).message}`, { cause: err });
    }
  }
  const data: FileHashThreadData = { name, content, algorithm };
  const reply = await runOnThread<FileHashThreadReply>(__dirname, 'file-hash-thread', data, {
    what: 'the bundle file hash thread',
  });
  if (!reply.ok) throw new BundleError(`${name}: cannot hash: ${reply.message}`);
  return reply.hash;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// OPA matches exclude_files with Go's filepath.Match: `*` and `?` never cross a `/`.
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}
