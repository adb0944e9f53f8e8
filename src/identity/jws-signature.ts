import { constants, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';
import { describeKey, keyFamilyOf, keyFitsAlgorithm } from './algorithms';

/**
 * Returns whether the signature of a compact JWS verifies with the public `key` under an asymmetric `alg` (RS*,
 * PS*, ES*, EdDSA, Ed25519, Ed448). A key that does not fit `alg` (type, curve, a secret for HS*) and a signature
 * of the wrong form are false, never an error: whoever sent the JWS chose both.
 */
export function jwsSignatureVerifies(jws: string, alg: JwtAlgorithm, key: KeyObject): boolean {
  if (key.type !== 'public' || !keyFitsAlgorithm(key, alg)) return false;
  const end = jws.lastIndexOf('.');
  const data = Buffer.from(jws.slice(0, end), 'ascii');
  const signature = Buffer.from(jws.slice(end + 1), 'base64url');
  try {
    return verify(digestOf(alg), data, withScheme(alg, key), signature);
  } catch {
    // A signature of the wrong length for the curve, say: it does not verify.
    return false;
  }
}

/**
 * Returns the base64url signature of a JWS signing input (`header.payload`) made with a private key under an
 * asymmetric `alg`; throws when the key does not fit `alg` (node:crypto would sign an RSA key's EdDSA with SHA-256).
 */
export function jwsSignature(signingInput: string, alg: JwtAlgorithm, privateKey: KeyObject): string {
  const publicKey = privateKey.type === 'private' ? createPublicKey(privateKey) : undefined;
  if (!publicKey || !keyFitsAlgorithm(publicKey, alg)) {
    throw new Error(`${publicKey ? describeKey(publicKey) : 'a key that is not private'} cannot sign ${alg}`);
  }
  const data = Buffer.from(signingInput, 'ascii');
  return sign(digestOf(alg), data, withScheme(alg, privateKey)).toString('base64url');
}

// EdDSA hashes inside the signature scheme (RFC 8032), so node:crypto takes no digest for it.
function digestOf(alg: JwtAlgorithm): string | null {
  return keyFamilyOf(alg) === 'okp' ? null : `sha${alg.slice(2)}`;
}

// JWS carries ECDSA signatures as r || s (RFC 7518 section 3.4), not DER; PS* is PSS with a salt as long as the hash.
function withScheme(alg: JwtAlgorithm, key: KeyObject) {
  if (alg.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' as const };
  if (alg.startsWith('PS')) {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  }
  return key;
}
