import { bigFromBytes, bytesFromBig } from './big-bytes';
import { RawJson, type BuiltinTable } from './builtin';
import { EC_CURVES } from './ec-curves';
import { goStdBase64 } from './go-base64';
import { pemDecode } from './go-pem';
import { okpPublicKey } from './okp-keys';
import { parsePrivateKeyBlock, type ParsedPrivateKey } from './private-key-der';
import { stringOperand } from './strings';

/**
 * Returns the private keys in PEM text, as OPA's getPrivateKeysFromPEMData finds them: the text may itself be
 * base64; blocks of other types are skipped; reading stops at the first text that holds no block; a block of
 * a key type that does not parse fails the whole call.
 */
function privateKeysIn(data: Buffer): ParsedPrivateKey[] {
  let bytes = data;
  try {
    bytes = goStdBase64(data.toString('latin1'));
  } catch {
    // Not base64: PEM text as it is.
  }
  const keys: ParsedPrivateKey[] = [];
  while (bytes.length > 0) {
    const { block, rest } = pemDecode(bytes);
    if (block === undefined) break;
    bytes = rest;
    const key = parsePrivateKeyBlock(block.type, block.bytes);
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

const integer = (x: bigint): RawJson => new RawJson(x.toString());

/** Returns a key as Go's encoding/json writes the crypto type holding it (crypto.parse_private_keys). */
function goKeyJson(key: ParsedPrivateKey): unknown {
  switch (key.type) {
    case 'rsa':
      return {
        N: integer(key.n),
        E: integer(key.e),
        D: integer(key.d),
        Primes: key.primes.map(integer),
        Precomputed: {
          Dp: integer(key.dp),
          Dq: integer(key.dq),
          Qinv: integer(key.qi),
          CRTValues: key.crtValues.map((v) => ({
            Exp: integer(v.exp),
            Coeff: integer(v.coeff),
            R: integer(v.r),
          })),
        },
      };
    case 'ec':
      // The curve is a struct of unexported fields: Go writes {}.
      return {
        Curve: {},
        X: integer(bigFromBytes(key.x)),
        Y: integer(bigFromBytes(key.y)),
        D: integer(bigFromBytes(key.d)),
      };
    case 'ed25519':
      // An ed25519.PrivateKey is a byte slice, seed then public key: base64 in Go's JSON.
      return Buffer.concat([key.seed, okpPublicKey('ed25519', key.seed)]).toString('base64');
    case 'x25519':
      return {};
  }
}

/** Returns a key as jwx's jwk.Import and json.Marshal write it (crypto.x509.parse_rsa_private_key). */
function jwkOf(key: ParsedPrivateKey): Record<string, string> {
  const b64 = (bytes: Buffer): string => bytes.toString('base64url');
  const big = (x: bigint): string => b64(bytesFromBig(x));
  switch (key.type) {
    case 'rsa': {
      if (key.primes.length !== 2) throw new Error('jwk: invalid number of primes in rsa.PrivateKey');
      const [p, q] = key.primes as [bigint, bigint];
      const numbers = { n: key.n, e: key.e, d: key.d, p, q, dp: key.dp, dq: key.dq, qi: key.qi };
      return { kty: 'RSA', ...Object.fromEntries(Object.entries(numbers).map(([k, v]) => [k, big(v)])) };
    }
    case 'ec': {
      const curve = EC_CURVES[key.curveOid]!;
      if (curve.jwk === undefined) throw new Error('jwk: unsupported curve for a JWK');
      return { kty: 'EC', crv: curve.jwk, x: b64(key.x), y: b64(key.y), d: b64(key.d) };
    }
    case 'ed25519':
      return { kty: 'OKP', crv: 'Ed25519', x: b64(okpPublicKey('ed25519', key.seed)), d: b64(key.seed) };
    case 'x25519':
      return { kty: 'OKP', crv: 'X25519', x: b64(okpPublicKey('x25519', key.d)), d: b64(key.d) };
  }
}

// crypto.x509.parse_rsa_private_key: the first key of any type as a JWK (null without one); text that is not
// PEM must be base64 of it.
function parseRsaPrivateKey(text: string): Record<string, string> | null {
  if (text === '') throw new Error('input PEM data was empty');
  const data = text.startsWith('-----BEGIN') ? Buffer.from(text, 'utf8') : goStdBase64(text);
  const [first] = privateKeysIn(data);
  return first === undefined ? null : jwkOf(first);
}

function parsePrivateKeys(text: string): unknown {
  if (text === '') return null;
  return privateKeysIn(Buffer.from(text, 'utf8')).map(goKeyJson);
}

/** OPA's private-key parsing builtins, with Go's crypto/x509 rules for what parses. */
export const privateKeyBuiltins: BuiltinTable = {
  'crypto.x509.parse_rsa_private_key': (_, text) => parseRsaPrivateKey(stringOperand(text)),
  'crypto.parse_private_keys': (_, text) => parsePrivateKeys(stringOperand(text)),
};
