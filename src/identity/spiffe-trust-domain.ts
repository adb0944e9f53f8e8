import { AuthenticationError, ReasonCode } from '../errors';

// A SPIFFE id's scheme and trust domain (lower case, as the SPIFFE ID standard requires), before a non-empty path.
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(?=\/.)/;
const TRUST_DOMAIN = /^spiffe:\/\/[a-z0-9._-]+$/;

/** Returns `spiffe://<trust domain>` of a workload's SPIFFE id, or undefined for anything else. */
export function trustDomainOf(sub: unknown): string | undefined {
  return typeof sub === 'string' ? SPIFFE_ID.exec(sub)?.[0] : undefined;
}

/**
 * Throws `issuer_unknown` when an issuer entry that names a trust domain (`spiffe://<trust domain>`) took a
 * token whose `sub` is not a SPIFFE id of that trust domain: a JWT-SVID is vouched for by the bundle of its
 * sub's trust domain, so a federated domain's keys must not speak for another domain's workloads, with an
 * `iss` or without.
 */
export function checkTrustDomain(claims: Readonly<Record<string, unknown>>, issuer: string): void {
  if (!TRUST_DOMAIN.test(issuer) || trustDomainOf(claims.sub) === issuer) return;
  throw new AuthenticationError(
    ReasonCode.IssuerUnknown,
    'token sub is not a SPIFFE id of the trust domain its issuer entry names',
  );
}
