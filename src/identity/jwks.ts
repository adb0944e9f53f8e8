import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { JWT_ALGORITHMS } from '../schemas/issuer-config.schema';
import { weakKeyProblem } from './algorithms';
import { keyCanVerify } from './key-source';
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
  const indexes: number[] = [];
  document.keys.forEach((jwk: unknown, index: number) => {
    const skip = isObject(jwk) ? whySkipped(jwk) : undefined;
    if (skip) {
      result.skipped.push(`keys[${index}] ${skip}`);
      return;
    }
    const imported = importJwk(jwk);
    if (typeof imported === 'string') {
      result.problems.push(`keys[${index}] ${imported}`);
      return;
    }
    const clash = result.keys.findIndex((earlier) => sameKidSameAlgorithm(earlier, imported));
    if (clash >= 0) {
      result.problems.push(`keys[${index}] has the kid of keys[${indexes[clash]}]; a kid must name one key`);
      return;
    }
    indexes.push(index);
    result.keys.push(imported);
  });
  return result;
}

// During a rotation an issuer may publish one kid on two keys of different types or pinned algorithms
// (RS256 and ES256); a token's kid and alg then still select one key. Two keys under one kid that could both
// verify one algorithm would leave the choice to their order, so the second is refused.
function sameKidSameAlgorithm(a: VerificationKey, b: VerificationKey): boolean {
  if (a.kid === undefined || a.kid !== b.kid) return false;
  return JWT_ALGORITHMS.some((alg) => keyCanVerify(a, alg) && keyCanVerify(b, alg));
}

// Key types importJwk handles: RSA, EC and OKP, and oct to refuse loudly (a secret has no place in a published
// set). Others (newer types) are skipped, not errors, so that an issuer publishing one beside its usable keys does
// not break the whole set.
const USABLE_KEY_TYPES: readonly unknown[] = ['RSA', 'EC', 'OKP', 'oct'];

// RFC 8037: an OKP key is on one of four curves, and only Ed25519 and Ed448 sign; X25519 and X448 are for key
// agreement (ECDH-ES), published beside signature keys for encryption.
const OKP_SIGNATURE_CURVES: readonly unknown[] = ['Ed25519', 'Ed448'];

function whySkipped(jwk: Record<string, unknown>): string | undefined {
  if (!isForSignatures(jwk)) return 'is not a signature key (use or key_ops)';
  if (typeof jwk.kty === 'string' && !USABLE_KEY_TYPES.includes(jwk.kty)) {
    return `is of key type ${jwk.kty.slice(0, 16)}, which modelgate cannot verify`;
  }
  if (jwk.kty === 'OKP' && !OKP_SIGNATURE_CURVES.includes(jwk.crv)) {
    const curve = typeof jwk.crv === 'string' ? jwk.crv.slice(0, 16) : 'none';
    return `is an OKP key on curve ${curve}, which is not a signature curve (Ed25519, Ed448)`;
  }
  return undefined;
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
