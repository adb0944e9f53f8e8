import { AuthenticationError, ReasonCode } from '../errors';

// A bearer token is a JWT (RFC 7519: typ JWT or none), a JWT-SVID (JWT or JOSE), or an RFC 9068 access token
// (at+jwt). Other typ values mark JWTs minted for something else — a DPoP proof (dpop+jwt), a security event
// (secevent+jwt), a logout token (logout+jwt) — which must not be replayed as credentials (RFC 8725 section 3.11).
const DEFAULT_TOKEN_TYPES: readonly string[] = ['jwt', 'jose', 'at+jwt'];

/** Returns a `typ` value as compared: lower case, without the optional `application/` (RFC 7515 section 4.1.9). */
export function tokenType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/**
 * Throws `token_type_invalid` unless the header's `typ` is accepted: by default JWT, JOSE, at+jwt or none;
 * with an issuer's `token_types`, one of those (already normalised), and a token without `typ` is refused.
 */
export function checkTokenType(typ: unknown, accepted: readonly string[] | undefined): void {
  if (typ === undefined && accepted === undefined) return;
  const allowed = accepted ?? DEFAULT_TOKEN_TYPES;
  if (typeof typ === 'string' && allowed.includes(tokenType(typ))) return;
  // The header is the caller's until verified: name what is accepted, never echo what was sent.
  const expected = accepted === undefined ? 'JWT, JOSE, at+jwt or none' : accepted.join(', ');
  throw new AuthenticationError(
    ReasonCode.TokenTypeInvalid,
    `token typ header is not a bearer token type this issuer accepts (${expected})`,
  );
}
