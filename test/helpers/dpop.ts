/**
 * DPoP proofs (RFC 9449) for tests, built by hand with node:crypto (through signToken) so that a test can make
 * what no client library would: a proof with a private key in its header, a wrong typ, a missing claim.
 */
import { createHash, randomUUID, type JsonWebKey } from 'node:crypto';
import { base64url, signToken, type TestKeyPair } from './tokens';

/** What {@link dpopProof} signs; every field has a valid default, and `header`/`claims` entries win over them. */
export interface DpopProofInput {
  /** The client's key pair: the proof carries its public JWK and is signed with its private key. */
  key: TestKeyPair;
  /** The JWS algorithm (default ES256). */
  alg?: string;
  htm: string;
  htu: string;
  /** The access token the proof goes with; its hash becomes `ath`. */
  token?: string;
  /** Seconds since the epoch (default now). */
  iat?: number;
  jti?: string;
  /** Header members to add or replace; a member set to undefined is left out. */
  header?: Record<string, unknown>;
  /** Claims to add or replace; a claim set to undefined is left out. */
  claims?: Record<string, unknown>;
  /** Sign with this key instead of `key` (the header still carries `key`'s JWK). */
  signWith?: TestKeyPair;
}

/** Returns a compact DPoP proof JWS. */
export function dpopProof(input: DpopProofInput): string {
  const alg = input.alg ?? 'ES256';
  const header = withoutUndefined({ typ: 'dpop+jwt', alg, jwk: publicJwkOf(input.key), ...input.header });
  const claims = withoutUndefined({
    jti: input.jti ?? randomUUID(),
    htm: input.htm,
    htu: input.htu,
    iat: input.iat ?? Math.floor(Date.now() / 1000),
    ...(input.token !== undefined && { ath: accessTokenHash(input.token) }),
    ...input.claims,
  });
  return signToken({ header, claims, key: (input.signWith ?? input.key).privateKey });
}

/** Returns the public JWK of a key pair: only the members RFC 7518 defines for its key type. */
export function publicJwkOf(key: TestKeyPair): JsonWebKey {
  return key.publicKey.export({ format: 'jwk' });
}

/** Returns `ath`: base64url of the SHA-256 of the access token (RFC 9449 section 4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * Returns the RFC 7638 thumbprint of a public JWK: SHA-256 of its required members in lexicographic order, with
 * no whitespace. Written apart from src/identity (and checked against the RFC's own example) so that a test that
 * binds a token with it does not merely repeat the code it tests.
 */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members =
    jwk.kty === 'EC'
      ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
      : jwk.kty === 'OKP'
        ? `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`
        : `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`;
  return createHash('sha256').update(members, 'utf8').digest('base64url');
}

/** Returns the `cnf` claim that binds a token to a key pair's public key. */
export function dpopConfirmation(key: TestKeyPair): { jkt: string } {
  return { jkt: jwkThumbprint(publicJwkOf(key)) };
}

/** Returns a compact JWS whose segments are base64url of the given JSON, with a garbage signature. */
export function unsignedJws(header: unknown, claims: unknown): string {
  return `${base64url(header)}.${base64url(claims)}.${base64url('not a signature')}`;
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
