import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { keyFitsAlgorithm } from '../identity/algorithms';
import { JWT_ALGORITHMS, type JwtAlgorithm } from '../schemas/issuer-config.schema';

/**
 * The algorithms a bundle signature may use: modelgate's, less Ed448, which OPA (Go) can neither make nor verify.
 * EdDSA and Ed25519 take an Ed25519 key, as `opa sign --signing-alg EdDSA` makes them.
 */
export const BUNDLE_ALGORITHMS: readonly JwtAlgorithm[] = JWT_ALGORITHMS.filter((alg) => alg !== 'Ed448');

/** A key that may sign bundles, as OPA's `keys.<id>` configures it. */
export interface VerificationKey {
  id: string;
  algorithm: JwtAlgorithm;
  /** The public key (RS*, PS*, ES*, EdDSA) or the shared secret (HS*). */
  key: KeyObject;
  /** Default scope a signature by this key must carry; the bundle's `signing.scope` overrides it. */
  scope?: string;
}

/** One `keys.<id>` entry of the configuration file (OPA's names, plus `key_file`). */
export interface KeyConfig {
  algorithm?: string;
  key?: string;
  key_file?: string;
  scope?: string;
}

/**
 * Returns the verification keys by id. Like OPA, `key` holds a PEM public key (or certificate) for
 * RS/PS/ES/EdDSA and the secret itself for HS; `key_file` reads the same from a file (a secret without its
 * final newline), so secrets need not sit in the config file. The default algorithm is RS256, as in OPA.
 */
export function loadVerificationKeys(
  keys: Record<string, KeyConfig> | undefined,
  baseDir: string,
): Map<string, VerificationKey> {
  const out = new Map<string, VerificationKey>();
  for (const [id, config] of Object.entries(keys ?? {})) {
    const where = `keys.${id}`;
    const algorithm = (config.algorithm ?? 'RS256') as JwtAlgorithm;
    if (!BUNDLE_ALGORITHMS.includes(algorithm)) {
      throw new ConfigError(where, `algorithm ${algorithm} is not one of ${BUNDLE_ALGORITHMS.join(', ')}`);
    }
    if ((config.key === undefined) === (config.key_file === undefined)) {
      throw new ConfigError(where, 'needs exactly one of key or key_file');
    }
    const material = config.key ?? readKeyFile(path.resolve(baseDir, config.key_file!), where);
    const key = toKeyObject(material, algorithm, where);
    out.set(id, { id, algorithm, key, scope: config.scope });
  }
  return out;
}

function readKeyFile(file: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(where, `cannot read ${file} (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
}

/** Returns the key object for an algorithm from PEM text (public key or certificate) or an HMAC secret. */
export function toKeyObject(material: string, algorithm: JwtAlgorithm, where: string): KeyObject {
  if (algorithm.startsWith('HS')) return createSecretKey(Buffer.from(material.replace(/\r?\n$/, ''), 'utf8'));
  let key: KeyObject;
  try {
    key = createPublicKey(material);
  } catch (err) {
    throw new ConfigError(where, `is not a PEM public key or certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!keyFitsAlgorithm(key, algorithm)) throw new ConfigError(where, `the key cannot verify ${algorithm}`);
  // EdDSA fits an Ed448 key too, but a bundle signed with one would load here and never in OPA.
  if (key.asymmetricKeyType === 'ed448') {
    throw new ConfigError(where, 'is an Ed448 key, which OPA cannot verify bundles with; use an Ed25519 key');
  }
  return key;
}
