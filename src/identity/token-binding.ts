import { AuthenticationError, ReasonCode } from '../errors';

/**
 * What a token is bound to (RFC 7800 `cnf`): nothing, so whoever holds it may use it (a bearer token), or the
 * public key whose RFC 7638 thumbprint is `jkt`, so that only a caller proving that key may (RFC 9449 DPoP).
 */
export type TokenBinding = { kind: 'bearer' } | { kind: 'dpop'; jkt: string };

const BEARER: TokenBinding = { kind: 'bearer' };

/**
 * Returns the binding a verified token's `cnf` claim states. Throws `token_binding_unsupported` for a binding
 * modelgate cannot check: an mTLS certificate thumbprint (`x5t#S256`, RFC 8705: behind a proxy modelgate never
 * sees the client's certificate), a key by value or id (`jwk`, `kid`), any other member, or none. Accepting such a
 * token as a bearer token would hand a stolen one to whoever holds it, which is what the binding was to prevent.
 */
export function bindingOf(claims: Readonly<Record<string, unknown>>): TokenBinding {
  if (!Object.hasOwn(claims, 'cnf')) return BEARER;
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    throw new AuthenticationError(ReasonCode.TokenMalformed, 'cnf claim must be a JSON object');
  }
  const members = Object.keys(cnf);
  const jkt = (cnf as Record<string, unknown>).jkt;
  if (members.length === 1 && typeof jkt === 'string' && jkt !== '') return { kind: 'dpop', jkt };
  // Member names are the issuer's vocabulary, not the caller's secrets: naming them says what to fix.
  const named = members.length === 0 ? 'no member' : members.map((m) => JSON.stringify(m)).join(', ');
  throw new AuthenticationError(
    ReasonCode.TokenBindingUnsupported,
    `the token is bound by cnf (${named.slice(0, 200)}) in a way modelgate cannot check; only a DPoP key thumbprint (cnf.jkt) alone is supported`,
  );
}
