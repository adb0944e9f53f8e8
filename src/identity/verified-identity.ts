import { hash } from 'node:crypto';
import { AuthenticationError, ReasonCode } from '../errors';
import { bindingOf, type TokenBinding } from './token-binding';
import { DEFAULT_RECORDED_CLAIMS } from '../schemas/issuer-config.schema';
import { DEFAULT_SCOPE_CLAIMS } from './trusted-issuer';

/** The verified caller, shaped as the policy input's `subject`. */
export interface VerifiedSubject {
  id: string;
  issuer: string;
  audience: string[];
  scopes: string[];
  /** Every verified claim, unchanged. */
  claims: Record<string, unknown>;
  /** The RFC 8693 `act` claim: the agent or model acting for the subject, or null. */
  actor: Record<string, unknown> | null;
}

/** What a successful verification proves; deeply frozen because cached identities are shared between requests. */
export interface VerifiedIdentity {
  subject: VerifiedSubject;
  /**
   * The `jti` claim, or `sha256:<hex>` of the token's signed part (header and payload) when there is none; never
   * the token itself. Not of the whole token: one signed token has other valid spellings (an ECDSA signature
   * (r, n - s), unused bits in base64url's last character), which must not read as other tokens in the log.
   */
  tokenId: string;
  /** The `exp` claim, in unix seconds. */
  expiresAt: number;
  /** Claims the audit record keeps as they are (the issuer's `recorded_claims`); the rest it hashes. */
  recordedClaims: readonly string[];
  /** The key the token is bound to (`cnf.jkt`), whose proof every request must carry; or none. */
  binding: TokenBinding;
}

/** Returns the hex SHA-256 of a token: a cache key and identifier that does not disclose the token. */
export function tokenSha256(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Returns the hex SHA-256 of a token's signed part (`header.payload`): the token id when it has no `jti`. */
export function signedPartSha256(token: string): string {
  const end = token.lastIndexOf('.');
  return tokenSha256(end < 0 ? token : token.slice(0, end));
}

/** What the token's issuer says about the identity built from it. */
export interface IssuerTerms {
  /** The issuer the token was matched by (a JWT-SVID without `iss`: its trust domain); default the `iss` claim. */
  issuer?: string;
  /** Claims the audit record keeps as they are; default DEFAULT_RECORDED_CLAIMS. */
  recordedClaims?: readonly string[];
  /** Scopes the issuer may grant, exactly or by a prefix ending in `*`; absent: every scope. */
  allowedScopes?: readonly string[];
  /** Claims that name scopes; default DEFAULT_SCOPE_CLAIMS. */
  scopeClaims?: readonly string[];
  /** The claim the audience was checked in; default `aud`. */
  audienceClaim?: string;
}

/**
 * Returns the identity of a payload whose signature, issuer, audience and times were already verified.
 * Throws `subject_missing` or `token_malformed` for claims the policy could misread, and
 * `token_binding_unsupported` for a `cnf` binding modelgate cannot check.
 */
export function buildVerifiedIdentity(
  payload: Record<string, unknown>,
  signedPartHash: string,
  terms: IssuerTerms = {},
): VerifiedIdentity {
  const recordedClaims = terms.recordedClaims ?? DEFAULT_RECORDED_CLAIMS;
  const { sub, iss, exp, jti, act } = payload;
  if (typeof sub !== 'string' || sub.trim() === '') {
    throw new AuthenticationError(ReasonCode.SubjectMissing, 'sub claim must be a non-empty string');
  }
  // A malformed act must not read as "no actor": the policy would see a direct call instead of an agent.
  if (act !== undefined && !isObject(act)) {
    throw new AuthenticationError(ReasonCode.TokenMalformed, 'act claim must be a JSON object');
  }
  const binding = bindingOf(payload);
  const claims = structuredClone(payload);
  const identity: VerifiedIdentity = {
    subject: {
      id: sub,
      issuer: terms.issuer ?? (iss as string),
      audience: audienceValues(payload, terms.audienceClaim ?? 'aud'),
      scopes: scopesOf(payload, terms),
      claims,
      // The act claim as copied with the rest: one deep copy per verified token, not two.
      actor: act === undefined ? null : (claims.act as Record<string, unknown>),
    },
    tokenId: typeof jti === 'string' && jti !== '' ? jti : `sha256:${signedPartHash}`,
    expiresAt: exp as number,
    recordedClaims: [...recordedClaims],
    binding,
  };
  return deepFreeze(identity);
}

// `scope` is a space-separated string (RFC 8693 §4.2); `scp` is an array (Okta) or a string (Entra ID); an issuer
// may name others (Auth0 `permissions`, Entra `roles`), each a string or an array. The claims keep every scope the
// token names; only the ones its issuer may grant are granted.
function scopesOf(payload: Record<string, unknown>, terms: IssuerTerms): string[] {
  const scopes = new Set<string>();
  for (const name of terms.scopeClaims ?? DEFAULT_SCOPE_CLAIMS) {
    const claim = Object.hasOwn(payload, name) ? payload[name] : undefined;
    const values = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [];
    for (const value of values) {
      if (typeof value === 'string' && value !== '' && mayGrant(terms.allowedScopes, value))
        scopes.add(value);
    }
  }
  return [...scopes];
}

/** Returns the strings of an audience claim, a string or an array (RFC 7519 section 4.1.3); [] when absent. */
export function audienceValues(claims: Record<string, unknown>, name: string): string[] {
  const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
  return (Array.isArray(value) ? value : [value]).filter((a): a is string => typeof a === 'string');
}

function mayGrant(allowed: readonly string[] | undefined, scope: string): boolean {
  if (allowed === undefined) return true;
  return allowed.some((a) => (a.endsWith('*') ? scope.startsWith(a.slice(0, -1)) : scope === a));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
