import { constants, createHmac, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { bigFromBytes, bytesFromBig } from './big-bytes';
import { curveOfJwk, publicPoint } from './ec-curves';
import { bitLength, goRsaPrivateKey } from './go-rsa-key';
import type { Jwk } from './jwk-parse';
import { HMAC_HASHES, MIN_RSA_BITS, SIGNATURE_SCHEMES } from './jwt-signature';
import { okpPrivateKey } from './okp-keys';

/** The algorithms io.jwt.encode_sign takes: those the verify builtins know, HMAC and asymmetric. */
export const SIGNING_ALGORITHMS: ReadonlySet<string> = new Set([
  ...Object.keys(HMAC_HASHES),
  ...Object.keys(SIGNATURE_SCHEMES),
]);

/**
 * Returns the signature of `input` under `alg` with the key, as jwx's jwsbb.Sign makes it: the key must be of
 * the algorithm's family and private (an HMAC secret for HS*); an ES* algorithm takes a key on any of the three
 * curves. Throws where Go fails; nothing thrown names or holds key material.
 */
export function signWithJwk(jwk: Jwk, alg: string, input: string): Buffer {
  const data = Buffer.from(input, 'utf8');
  const hmac = HMAC_HASHES[alg];
  if (hmac !== undefined) return createHmac(hmac, hmacSecret(jwk)).update(data).digest();
  const scheme = SIGNATURE_SCHEMES[alg];
  if (scheme === undefined) throw new Error(`unknown JWS algorithm: ${alg}`);
  if (scheme.kind === 'ed') return sign(null, data, ed25519Key(jwk));
  if (scheme.kind === 'ec') return sign(scheme.hash, data, { key: ecKey(jwk), dsaEncoding: 'ieee-p1363' });
  const key = rsaKey(jwk);
  if (scheme.kind === 'rsa') return sign(scheme.hash, data, key);
  // RFC 7518 §3.5 and jwx: a salt as long as the hash.
  const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  return sign(scheme.hash, data, pss);
}

function hmacSecret(jwk: Jwk): Buffer {
  if (jwk.kty !== 'oct') throw new Error('jwsbb.Sign: an HMAC key must be a JWK of type oct');
  return jwk.bytes.k!;
}

// jwx's export to *rsa.PrivateKey (p and q required; missing CRT values computed) and Go's checks on it.
function rsaKey(jwk: Jwk): KeyObject {
  const { bytes } = jwk;
  if (jwk.kty !== 'RSA' || !jwk.private) throw new Error('jwsbb.Sign: an RSA private key is required');
  if (bytes.p === undefined || bytes.q === undefined) throw new Error('missing "p" or "q" value');
  const optional = (b: Buffer | undefined) => (b === undefined ? undefined : bigFromBytes(b));
  const key = goRsaPrivateKey({
    n: bigFromBytes(bytes.n!),
    e: bigFromBytes(bytes.e!),
    d: bigFromBytes(bytes.d!),
    primes: [bigFromBytes(bytes.p), bigFromBytes(bytes.q)],
    dp: optional(bytes.dp),
    dq: optional(bytes.dq),
    qi: optional(bytes.qi),
  });
  const bits = bitLength(key.n);
  if (bits < MIN_RSA_BITS) throw new Error(`crypto/rsa: ${bits}-bit keys are insecure`);
  const [p, q] = key.primes as [bigint, bigint];
  const numbers = { n: key.n, e: key.e, d: key.d, p, q, dp: key.dp, dq: key.dq, qi: key.qi };
  const encoded = Object.fromEntries(
    Object.entries(numbers).map(([k, v]) => [k, bytesFromBig(v).toString('base64url')]),
  );
  return createPrivateKey({ key: { kty: 'RSA', ...encoded }, format: 'jwk' });
}

// Go signs with d alone: x and y were only checked to be a point of the curve; the key takes d·G.
function ecKey(jwk: Jwk): KeyObject {
  if (jwk.kty !== 'EC' || !jwk.private) throw new Error('jwsbb.Sign: an ECDSA private key is required');
  const curve = curveOfJwk(jwk.crv!)!;
  const d = jwk.bytes.d!;
  const { x, y } = publicPoint(curve, d);
  const encoded = { x: x.toString('base64url'), y: y.toString('base64url'), d: d.toString('base64url') };
  return createPrivateKey({ key: { kty: 'EC', crv: jwk.crv, ...encoded }, format: 'jwk' });
}

// An Ed25519 key whose x is the public half of its d (jwx checks).
function ed25519Key(jwk: Jwk): KeyObject {
  if (jwk.kty !== 'OKP' || !jwk.private || jwk.crv !== 'Ed25519') {
    throw new Error('jwsbb.Sign: an Ed25519 private key is required');
  }
  const key = okpPrivateKey('ed25519', jwk.bytes.d!);
  if (key.export({ format: 'jwk' }).x !== jwk.bytes.x!.toString('base64url')) {
    throw new Error('ed25519: invalid x value given d value');
  }
  return key;
}
