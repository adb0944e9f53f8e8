import type { KeyObject } from 'node:crypto';
import { JWT_ALGORITHMS, type JwtAlgorithm } from '../schemas/issuer-config.schema';

/**
 * The key family an algorithm needs: RS and PS share RSA keys, ES needs one exact curve, HS a secret, and EdDSA,
 * Ed25519 and Ed448 an OKP signature key (RFC 8037).
 */
export type KeyFamily = 'rsa' | 'ec' | 'okp' | 'hmac';

// jsonwebtoken (via validateAsymmetricKey) refuses a curve that does not match the hash; so do we, earlier.
const CURVE_FOR: Partial<Record<JwtAlgorithm, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

// RFC 8037 lets EdDSA name either signature curve (the key says which); RFC 9864's names each allow one. An X25519
// or X448 key (key agreement) never verifies a signature, whatever its JWK says.
const OKP_KEY_TYPES: Partial<Record<JwtAlgorithm, readonly string[]>> = {
  EdDSA: ['ed25519', 'ed448'],
  Ed25519: ['ed25519'],
  Ed448: ['ed448'],
};

const OKP_NAMES: Record<string, string> = {
  ed25519: 'Ed25519',
  ed448: 'Ed448',
  x25519: 'X25519',
  x448: 'X448',
};

// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const HMAC_MIN_BYTES: Partial<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/** Returns true when `value` is an algorithm modelgate can verify (never `none`). */
export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && (JWT_ALGORITHMS as readonly string[]).includes(value);
}

/** Returns the key family an algorithm needs. */
export function keyFamilyOf(algorithm: JwtAlgorithm): KeyFamily {
  if (algorithm.startsWith('HS')) return 'hmac';
  if (algorithm.startsWith('ES')) return 'ec';
  if (OKP_KEY_TYPES[algorithm]) return 'okp';
  return 'rsa';
}

/** Returns the minimum secret length in bytes for an HS* algorithm. */
export function hmacMinBytes(algorithm: JwtAlgorithm): number {
  return HMAC_MIN_BYTES[algorithm] ?? 32;
}

/** Returns true when `key` can verify signatures made with `algorithm` (type, curve, RSA-PSS restriction). */
export function keyFitsAlgorithm(key: KeyObject, algorithm: JwtAlgorithm): boolean {
  const family = keyFamilyOf(algorithm);
  if (family === 'hmac') return key.type === 'secret';
  if (key.type !== 'public') return false;
  const type = key.asymmetricKeyType;
  if (family === 'ec') return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE_FOR[algorithm];
  if (family === 'okp') return type !== undefined && OKP_KEY_TYPES[algorithm]!.includes(type);
  // An RSA-PSS key is bound to PSS padding, so it may only verify PS*.
  return type === 'rsa' || (type === 'rsa-pss' && algorithm.startsWith('PS'));
}

// RFC 7518 §3.3 and §3.5: an RSA key for RS* or PS* must be at least 2048 bits. jsonwebtoken checks this only
// when signing, so a 512-bit key (factorable) would verify tokens unless refused here.
const RSA_MIN_BITS = 2048;

/** Returns why a public key is too weak to trust, or undefined: an RSA modulus under 2048 bits. */
export function weakKeyProblem(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'rsa-pss') return undefined;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return bits < RSA_MIN_BITS
    ? `is an RSA key of ${bits} bits; at least ${RSA_MIN_BITS} are required (RFC 7518)`
    : undefined;
}

/** Returns a short human description of a key for error messages, e.g. "an RSA key", "an Ed25519 key". */
export function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return 'a shared secret';
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    return `an EC ${CURVE_NAMES[curve] ?? curve} key`;
  }
  if (type === 'rsa') return 'an RSA key';
  if (type === 'rsa-pss') return 'an RSA-PSS key';
  if (type !== undefined && OKP_NAMES[type]) return `an ${OKP_NAMES[type]} key`;
  return `a ${type ?? 'unknown'} key`;
}
