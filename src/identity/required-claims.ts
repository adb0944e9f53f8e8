import { AuthenticationError, ConfigError, ReasonCode } from '../errors';

/** A value a required claim may hold: compared with its JSON type, so 2 is not "2" and true is not "true". */
export type RequiredClaimValue = string | number | boolean;

/** Claim name to the values it may hold; every listed claim must be present with one of them. */
export type RequiredClaims = Readonly<Record<string, readonly RequiredClaimValue[]>>;

// Claims modelgate checks itself, each with the setting that governs it: pinning them here would only
// conflict with that setting (an `aud` list would refuse tokens that also name another audience).
const CHECKED_ELSEWHERE: Readonly<Record<string, string>> = {
  iss: 'issuer',
  aud: 'audiences (and audience_claim)',
  exp: 'max_token_lifetime_seconds',
  nbf: 'clock_skew_seconds',
  iat: 'max_token_lifetime_seconds',
};

/** Returns an issuer's `required_claims` with each value as a list; throws ConfigError for a claim checked elsewhere. */
export function loadRequiredClaims(
  config: Readonly<Record<string, RequiredClaimValue | readonly RequiredClaimValue[]>>,
  key: string,
): RequiredClaims {
  // Own members only, and built with fromEntries: a claim may be named constructor or __proto__.
  const entries = Object.entries(config).map(([name, value]) => {
    if (Object.hasOwn(CHECKED_ELSEWHERE, name)) {
      throw new ConfigError(
        `${key}.${name}`,
        `modelgate checks ${name} itself: use ${CHECKED_ELSEWHERE[name]}`,
      );
    }
    return [name, Array.isArray(value) ? [...value] : [value as RequiredClaimValue]] as const;
  });
  return Object.fromEntries(entries);
}

/**
 * Throws `claim_invalid` unless every required claim holds an allowed value: a scalar equal to one, or a
 * non-empty array whose every element is one. Not "any element": a token whose client_id (or tenant, or group)
 * names a party off the list was minted for that party too, and whoever holds it must not pass as ours.
 */
export function checkRequiredClaims(
  claims: Readonly<Record<string, unknown>>,
  required: RequiredClaims | undefined,
): void {
  if (required === undefined) return;
  for (const [name, allowed] of Object.entries(required)) {
    const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
    if (holdsAllowed(value, allowed)) continue;
    // Named, never echoed: the value may be personal (an email) and the list is the operator's, not the caller's.
    throw new AuthenticationError(
      ReasonCode.ClaimInvalid,
      `token claim ${name} ${whyRefused(value, allowed)}; this issuer requires one of its configured values`,
    );
  }
}

function holdsAllowed(value: unknown, allowed: readonly RequiredClaimValue[]): boolean {
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => isAllowed(v, allowed));
  return isAllowed(value, allowed);
}

function isAllowed(value: unknown, allowed: readonly RequiredClaimValue[]): boolean {
  return allowed.some((a) => a === value);
}

// The type, never the value, so that a YAML `version: "2"` against a numeric claim can be told apart.
function whyRefused(value: unknown, allowed: readonly RequiredClaimValue[]): string {
  if (value === undefined) return 'is absent';
  if (Array.isArray(value)) return value.length === 0 ? 'is an empty array' : 'holds a value not allowed';
  const types = [...new Set(allowed.map((a) => typeof a))];
  const type = value === null ? 'null' : typeof value;
  if (!types.includes(type as (typeof types)[number])) {
    return `is ${article(type)} where the allowed values are ${types.map((t) => `${t}s`).join(' or ')}`;
  }
  return 'is not an allowed value';
}

function article(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
