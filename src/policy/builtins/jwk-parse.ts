import { createPublicKey, X509Certificate } from 'node:crypto';
import { curveOfJwk } from './ec-curves';
import { goBase64Decode, goStdBase64 } from './go-base64';
import { firstValueText, lenientObject } from './lenient-json';
import { isRegoObject } from './rego-value';

/** The members of a JWK that hold bytes (base64 in the JSON). */
export type JwkBytes = 'n' | 'e' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi' | 'k' | 'x' | 'y';

/** A JWK as jwx's jwk.Parse leaves it once validated: its type, whether private, its byte members and curve. */
export interface Jwk {
  kty: 'RSA' | 'EC' | 'oct' | 'OKP';
  private: boolean;
  bytes: Partial<Record<JwkBytes, Buffer>>;
  crv?: string;
}

// jwx reads at most this many keys from a set (jwk.WithMaxKeys' default).
const MAX_KEYS = 1000;

const TYPED_BYTES: Readonly<Record<string, readonly JwkBytes[]>> = {
  'oct private': ['k'],
  'oct public': ['k'],
  'RSA public': ['n', 'e'],
  'RSA private': ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'],
  'EC public': ['x', 'y'],
  'EC private': ['x', 'y', 'd'],
  'OKP public': ['x'],
  'OKP private': ['x', 'd'],
};

// The algorithm names jwx registers (jwa): a JWK's `alg` must be one of them.
const KEY_ALGORITHMS = new Set(
  [
    'ES256 ES256K ES384 ES512 EdDSA Ed25519 HS256 HS384 HS512 none PS256 PS384 PS512 RS256 RS384 RS512',
    'A128GCMKW A128KW A192GCMKW A192KW A256GCMKW A256KW dir ECDH-ES ECDH-ES+A128KW ECDH-ES+A192KW',
    'ECDH-ES+A256KW PBES2-HS256+A128KW PBES2-HS384+A192KW PBES2-HS512+A256KW RSA1_5 RSA-OAEP RSA-OAEP-256',
    'RSA-OAEP-384 RSA-OAEP-512 A128CBC-HS256 A128GCM A192CBC-HS384 A192GCM A256CBC-HS512 A256GCM',
  ]
    .join(' ')
    .split(' '),
);
const CURVES = new Set(['Ed25519', 'Ed448', 'P-256', 'P-384', 'P-521', 'X25519', 'X448']);
const STRING_MEMBERS = new Set(['kid', 'use', 'x5t', 'x5t#S256', 'x5u']);

/**
 * Returns the keys of JWK or JWK set text as jwx's jwk.Parse reads them for OPA's io.jwt.encode_sign: text
 * whose top level has `keys` is a set, every key of which must be valid; anything else is one key. Throws
 * where jwx fails (the call is then undefined).
 */
export function parseJwks(text: string): Jwk[] {
  if (!lenientObject(text).has('keys')) return [parseJwk(parseJson(firstValueText(text)))];
  const value = parseJson(text);
  const keys = isRegoObject(value) ? value.keys : undefined;
  if (!Array.isArray(keys)) throw new Error('failed to decode "keys": expected [');
  if (keys.length > MAX_KEYS) throw new Error(`too many keys in "keys" array: max ${MAX_KEYS}`);
  return keys.map(parseJwk);
}

// JSON.parse's message quotes the text around a fault: it must not carry a key's secret into an error.
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('JWK: not valid JSON');
  }
}

function parseJwk(value: unknown): Jwk {
  if (value !== null && !isRegoObject(value)) throw new Error('probe: failed to unmarshal data');
  const members = value ?? {};
  // The probe (Go's encoding/json into {Kty, D}) matches names without regard to case; null leaves a field be.
  let kty = '';
  let hasD = false;
  for (const [name, member] of Object.entries(members)) {
    const folded = name.toLowerCase();
    if (folded === 'kty' && member !== null) {
      if (typeof member !== 'string') throw new Error('probe: kty must be a string');
      kty = member;
    }
    if (folded === 'd') hasD = true;
  }
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'oct' && kty !== 'OKP') throw new Error('invalid key type');
  const jwk: Jwk = { kty, private: hasD && kty !== 'oct', bytes: {} };
  const typed = TYPED_BYTES[`${kty} ${jwk.private ? 'private' : 'public'}`]!;
  for (const [name, member] of Object.entries(members)) readMember(jwk, typed, name, member);
  validate(jwk);
  return jwk;
}

// One member as the key type's generated UnmarshalJSON reads it; members it does not know are kept as they are.
function readMember(jwk: Jwk, typed: readonly JwkBytes[], name: string, member: unknown): void {
  if (name === 'kty') {
    if (member !== jwk.kty) throw new Error('invalid kty value');
  } else if (name === 'alg') {
    if (typeof member !== 'string' || !KEY_ALGORITHMS.has(member)) throw new Error('invalid key algorithm');
  } else if (STRING_MEMBERS.has(name)) {
    stringOrNull(member);
  } else if (name === 'key_ops') {
    if (
      member !== null &&
      !(Array.isArray(member) && member.every((op) => op === null || typeof op === 'string'))
    ) {
      throw new Error('key_ops must be a list of strings');
    }
  } else if (name === 'x5c') {
    certificateChain(member);
  } else if (name === 'crv' && jwk.kty !== 'oct' && jwk.kty !== 'RSA') {
    if (typeof member !== 'string' || !CURVES.has(member)) throw new Error('unknown EllipticCurveAlgorithm');
    jwk.crv = member;
  } else if ((typed as readonly string[]).includes(name)) {
    jwk.bytes[name as JwkBytes] = jwxBase64(stringOrNull(member));
  }
}

function stringOrNull(member: unknown): string {
  if (member === null) return '';
  if (typeof member !== 'string') throw new Error('expected a string');
  return member;
}

// jwx guesses the encoding: URL-safe unless it holds + or /, padded if it ends in =.
function jwxBase64(text: string): Buffer {
  return goBase64Decode(text, { url: !/[+/]/.test(text), padded: text.endsWith('=') });
}

// x5c: each entry standard base64 (ASCII blanks removed) of a DER certificate.
function certificateChain(member: unknown): void {
  if (!Array.isArray(member)) throw new Error('failed to unmarshal certificate chain: expected JSON array');
  for (const entry of member) {
    const der = goStdBase64(stringOrNull(entry).replace(/[ \t\n\v\f\r]/g, ''));
    new X509Certificate(der);
  }
}

// jwx's Validate for each key type (run by jwk.Parse).
function validate(jwk: Jwk): void {
  const { bytes } = jwk;
  if (jwk.kty === 'oct') {
    if (!bytes.k?.length) throw new Error('jwk.SymmetricKey: missing "k" field');
  } else if (jwk.kty === 'RSA') {
    validateRsa(jwk);
  } else if (jwk.kty === 'EC') {
    validateEc(jwk);
  } else {
    validateOkp(jwk);
  }
}

function validateRsa({ bytes, private: isPrivate }: Jwk): void {
  const n = stripZeros(bytes.n);
  const e = stripZeros(bytes.e);
  if (n.length === 0) throw new Error('missing "n" value');
  if (e.length === 0) throw new Error('missing "e" value');
  // Positive and odd, and within Go's int; OPA lifts jwx's own floors on modulus and exponent size.
  if ((e[e.length - 1]! & 1) === 0) throw new Error('invalid rsa public exponent');
  if (e.length > 8 || (e.length === 8 && e[0]! >= 0x80)) throw new Error('rsa public exponent too large');
  if (isPrivate && !bytes.d?.length) throw new Error('missing "d" value');
}

function validateEc({ bytes, crv, private: isPrivate }: Jwk): void {
  const curve = crv === undefined ? undefined : curveOfJwk(crv);
  if (curve === undefined) throw new Error('invalid curve algorithm');
  if (bytes.x?.length !== curve.size || bytes.y?.length !== curve.size)
    throw new Error('invalid "x" or "y" length');
  ecPoint(curve.jwk!, bytes.x, bytes.y);
  if (isPrivate && bytes.d?.length !== curve.size) throw new Error('invalid "d" length');
}

function validateOkp({ bytes, crv, private: isPrivate }: Jwk): void {
  if (crv === undefined) throw new Error('invalid curve algorithm');
  const sized = crv === 'Ed25519' || crv === 'X25519';
  if (!bytes.x?.length) throw new Error('missing "x" field');
  if (sized && bytes.x.length !== 32) throw new Error('wrong public key size');
  if (isPrivate && !bytes.d?.length) throw new Error('missing "d" field');
  if (isPrivate && sized && bytes.d!.length !== 32) throw new Error('wrong private key size');
}

function stripZeros(bytes: Buffer | undefined): Buffer {
  if (bytes === undefined) return Buffer.alloc(0);
  const first = bytes.findIndex((b) => b !== 0);
  return first < 0 ? Buffer.alloc(0) : bytes.subarray(first);
}

// The point must be on the curve and not the identity (Go's crypto/ecdh NewPublicKey).
function ecPoint(crv: string, x: Buffer, y: Buffer): void {
  if (x.every((b) => b === 0) && y.every((b) => b === 0)) throw new Error('identity point');
  const jwk = { kty: 'EC', crv, x: x.toString('base64url'), y: y.toString('base64url') };
  createPublicKey({ key: jwk, format: 'jwk' });
}
