import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { weakKeyProblem } from './algorithms';
import type { VerificationKey } from './trusted-issuer';

/** The keys imported from a JWKS document; `skipped` keys are not for signatures, `problems` are errors. */
export interface ImportedKeySet {
  keys: VerificationKey[];
  skipped: string[];
  problems: string[];
}

/** Imports the signature keys of a JWKS document; keys it cannot or must not use become problems. */
export function importJwks(document: unknown): ImportedKeySet {
  if (!isObject(document) || !Array.isArray(document.keys)) {
    return { keys: [], skipped: [], problems: ['is not a JSON Web Key Set (an object with a "keys" array)'] };
  }
  const result: ImportedKeySet = { keys: [], skipped: [], problems: [] };
  const kids = new Map<string, number>();
  document.keys.forEach((jwk: unknown, index: number) => {
    if (isObject(jwk) && !isForSignatures(jwk)) {
      result.skipped.push(`keys[${index}] is not a signature key (use or key_ops)`);
      return;
    }
    const imported = importJwk(jwk);
    if (typeof imported === 'string') {
      result.problems.push(`keys[${index}] ${imported}`);
      return;
    }
    // A token's kid must name one key: with two, only the first would ever be tried.
    const first = imported.kid === undefined ? undefined : kids.get(imported.kid);
    if (first !== undefined) {
      result.problems.push(`keys[${index}] has the kid of keys[${first}]; a kid must name one key`);
      return;
    }
    if (imported.kid !== undefined) kids.set(imported.kid, index);
    result.keys.push(imported);
  });
  return result;
}

// Key sets published by identity providers often carry encryption keys next to signing keys. A SPIFFE
// bundle marks its JWT-SVID signing keys `use: jwt-svid` and its X.509 CA keys `x509-svid`; a CA key
// must never verify a JWT (SPIFFE Trust Domain and Bundle, section 4.2.2).
const SIGNATURE_USES: readonly unknown[] = [undefined, 'sig', 'jwt-svid'];

function isForSignatures(jwk: Record<string, unknown>): boolean {
  if (!SIGNATURE_USES.includes(jwk.use)) return false;
  return !Array.isArray(jwk.key_ops) || jwk.key_ops.includes('verify');
}

function importJwk(jwk: unknown): VerificationKey | string {
  if (!isObject(jwk)) return 'is not an object';
  if (jwk.kty === 'oct') return 'is a symmetric key; HS* secrets come only from secret_env';
  if (jwk.kty === 'OKP') return 'is an OKP (EdDSA) key, which modelgate cannot verify';
  // A private member in a published key set is a leak; refuse the key rather than quietly derive from it.
  if ('d' in jwk || 'p' in jwk || 'q' in jwk) return 'contains private key material';
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return 'has a non-string kid';
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return 'has a non-string alg';
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    return (
      weakKeyProblem(key) ?? { key, kid: jwk.kid as string | undefined, alg: jwk.alg as string | undefined }
    );
  } catch (error) {
    return `cannot be imported (${(error as Error).message})`;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
