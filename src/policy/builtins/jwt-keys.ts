import { createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { BuiltinLimitError } from './builtin';

// The most keys one JWK set may hold (IdPs publish a handful).
const MAX_KEYS = 64;

/** A key a policy hands `io.jwt.verify_*` or `io.jwt.decode_verify` (`cert`), with the JWK's `alg` and `kid`. */
export interface PolicyKey {
  /** A public key, or the secret bytes of a JWK of type `oct`. */
  key: KeyObject | Buffer;
  alg: string;
  kid: string;
}

/**
 * The algorithms a policy key's JWK may name; a JWK naming another is skipped, as in OPA. Listed here, not taken
 * from JWT_ALGORITHMS: these builtins answer as OPA's do, whatever algorithms modelgate's own issuers accept.
 */
export const TOKEN_ALGORITHMS: ReadonlySet<string> = new Set([
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'],
  ...['EdDSA', 'HS256', 'HS384', 'HS512'],
]);

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----(?:\r?\n)?/;

/**
 * Returns the keys in a PEM certificate, a PEM public key, a JWK or a JWK set, read as OPA reads them: a PEM
 * block must be the last thing in the text; a JWK whose `alg` OPA does not know is skipped. Throws when the
 * text is none of these (the builtin's call is then undefined).
 */
export function policyKeys(text: string): PolicyKey[] {
  const pem = PEM_BLOCK.exec(text);
  if (pem) return [pemKey(text, pem)];
  const parsed = JSON.parse(text) as { keys?: unknown };
  const jwks = Array.isArray(parsed.keys) ? (parsed.keys as JsonWebKey[]) : [parsed as JsonWebKey];
  // A key set from the input is the caller's: each RSA key costs a verification (ms with a big exponent).
  if (jwks.length > MAX_KEYS) throw new BuiltinLimitError(`a JWK set of more than ${MAX_KEYS} keys`);
  const keys: PolicyKey[] = [];
  for (const jwk of jwks) {
    const alg = typeof jwk.alg === 'string' ? jwk.alg : '';
    if (alg !== '' && !TOKEN_ALGORITHMS.has(alg)) continue;
    keys.push({ key: jwkKey(jwk), alg, kid: typeof jwk.kid === 'string' ? jwk.kid : '' });
  }
  return keys;
}

function pemKey(text: string, pem: RegExpExecArray): PolicyKey {
  if (pem.index + pem[0].length < text.length) throw new Error('extra data after a PEM certificate block');
  const block = pem[0];
  if (pem[1] === 'CERTIFICATE')
    return { key: usable(new X509Certificate(block).publicKey), alg: '', kid: '' };
  if (pem[1] === 'PUBLIC KEY') return { key: usable(createPublicKey(block)), alg: '', kid: '' };
  throw new Error('failed to extract a Key from the PEM certificate');
}

function jwkKey(jwk: JsonWebKey): KeyObject | Buffer {
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new Error('oct JWK without k');
    return Buffer.from(jwk.k, 'base64url');
  }
  // A private JWK yields its public half, as OPA's jwk.Export then verify does.
  return usable(createPublicKey({ key: jwk, format: 'jwk' }));
}

/**
 * Returns the key unless verifying with it would be slow on purpose: an RSA exponent past 2^31 - 1 (keys use
 * 65537; a 3071-bit one made each verification 6 ms; Go refuses them too) or a modulus past 16384 bits. Such a
 * key is refused (the call is undefined, as OPA's is).
 */
function usable(key: KeyObject): KeyObject {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    if ((details?.modulusLength ?? 0) > 16384) throw new Error('RSA modulus over 16384 bits');
    if ((details?.publicExponent ?? 0n) > 2n ** 31n - 1n)
      throw new Error('RSA public exponent over 2^31 - 1');
  }
  return key;
}
