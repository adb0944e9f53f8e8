import {
  constants,
  createHmac,
  timingSafeEqual,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import type { TokenHeader } from './jwt-header';
import type { PolicyKey } from './jwt-keys';
import type { TokenParts } from './jwt-token';

/** The hash and padding of each asymmetric algorithm, in node's terms. */
export const SIGNATURE_SCHEMES: Readonly<
  Record<string, { hash: string | null; kind: 'rsa' | 'pss' | 'ec' | 'ed' }>
> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ec' },
  ES384: { hash: 'sha384', kind: 'ec' },
  ES512: { hash: 'sha512', kind: 'ec' },
  EdDSA: { hash: null, kind: 'ed' },
};

/** Go (crypto/rsa, rsa1024min) refuses RSA keys under this many bits, to sign and to verify. */
export const MIN_RSA_BITS = 1024;

/** The hash of each HMAC algorithm, in node's terms. */
export const HMAC_HASHES: Readonly<Record<string, string>> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
};

/** Returns whether `signature` over `signed` verifies with `key` under `alg`; a key of the wrong kind is false. */
export function signatureVerifies(
  alg: string,
  key: KeyObject | Buffer,
  signed: string,
  signature: Buffer,
): boolean {
  const hmac = HMAC_HASHES[alg];
  if (hmac !== undefined) {
    if (!Buffer.isBuffer(key)) return false;
    const expected = createHmac(hmac, key).update(signed).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  const scheme = SIGNATURE_SCHEMES[alg];
  if (scheme === undefined || Buffer.isBuffer(key)) return false;
  const type = key.asymmetricKeyType;
  const fits =
    scheme.kind === 'ec' ? type === 'ec' : scheme.kind === 'ed' ? type === 'ed25519' : type === 'rsa';
  if (!fits) return false;
  // Go (1.24 on) refuses RSA keys under 1024 bits: such a signature does not verify in OPA.
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return false;
  try {
    if (scheme.kind === 'ec')
      return verifySignature(scheme.hash, Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (scheme.kind === 'pss') {
      const options = {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_AUTO,
      };
      return verifySignature(scheme.hash, Buffer.from(signed), options, signature);
    }
    return verifySignature(scheme.hash, Buffer.from(signed), key, signature);
  } catch {
    return false;
  }
}

/**
 * Returns whether one of `keys` verifies the token under `alg`, choosing keys as OPA does: the key whose `kid`
 * is the header's alone when there is one, else every key without an `alg` or with the header's.
 */
export function verifiedByKeys(
  keys: PolicyKey[],
  header: TokenHeader,
  alg: string,
  token: { parts: TokenParts; signature: Buffer },
): boolean {
  const signed = `${token.parts.header}.${token.parts.payload}`;
  const named = header.kid === '' ? undefined : keys.find((k) => k.kid === header.kid);
  if (named) return signatureVerifies(alg, named.key, signed, token.signature);
  return keys.some(
    (k) => (k.alg === '' || k.alg === header.alg) && signatureVerifies(alg, k.key, signed, token.signature),
  );
}
