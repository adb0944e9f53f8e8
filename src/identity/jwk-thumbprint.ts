import { hash } from 'node:crypto';

/** The members of a public JWK that RFC 7638 hashes, in the lexicographic order it prescribes. */
export type ThumbprintMembers =
  | { crv: string; kty: 'EC'; x: string; y: string }
  | { e: string; kty: 'RSA'; n: string }
  | { crv: string; kty: 'OKP'; x: string };

/** Returns the required members of an EC, RSA or OKP public JWK, in RFC 7638 order; undefined for any other JWK. */
export function thumbprintMembers(jwk: Readonly<Record<string, unknown>>): ThumbprintMembers | undefined {
  const { kty, crv, x, y, e, n } = jwk;
  if (kty === 'EC' && isText(crv) && isText(x) && isText(y)) return { crv, kty, x, y };
  if (kty === 'RSA' && isText(e) && isText(n)) return { e, kty, n };
  // RFC 8037 section 2: an OKP key's required members are crv, kty and x.
  if (kty === 'OKP' && isText(crv) && isText(x)) return { crv, kty, x };
  return undefined;
}

/**
 * Returns the RFC 7638 thumbprint: base64url of the SHA-256 of the required members as JSON without whitespace.
 * The members are the JWK's own strings: their base64url needs no JSON escaping, so JSON.stringify of an object
 * built in the order above is the canonical form.
 */
export function jwkThumbprint(members: ThumbprintMembers): string {
  return hash('sha256', JSON.stringify(members), 'base64url');
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
