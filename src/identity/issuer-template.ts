import type { Logger } from 'pino';
import { AuthenticationError, ConfigError, ReasonCode } from '../errors';
import type { TrustedIssuer } from './trusted-issuer';

/**
 * Where an Entra ID multi-tenant issuer names the tenant: `https://login.microsoftonline.com/{tenantid}/v2.0`
 * (v1: `https://sts.windows.net/{tenantid}/`), the `issuer` of Microsoft's /common discovery document.
 */
export const TENANT_PLACEHOLDER = '{tenantid}';

/** Returns whether an `issuer` value is a template for several tenants' issuers. */
export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes(TENANT_PLACEHOLDER);
}

/** Throws ConfigError unless a template has tenants and is well formed, and tenants come only with a template. */
export function checkIssuerTemplate(
  issuer: string,
  tenants: readonly string[] | undefined,
  key: string,
): void {
  if (!isIssuerTemplate(issuer)) {
    if (tenants !== undefined) {
      throw new ConfigError(
        `${key}.tenants`,
        `is allowed only with an issuer that holds ${TENANT_PLACEHOLDER}`,
      );
    }
    return;
  }
  // Without a list, every tenant would do: any Entra ID user anywhere can get a token for a multi-tenant app.
  if (tenants === undefined) {
    throw new ConfigError(
      `${key}.tenants`,
      `an issuer with ${TENANT_PLACEHOLDER} needs tenants: the tenant ids whose tokens are accepted`,
    );
  }
  const problem = templateProblem(issuer);
  if (problem) throw new ConfigError(`${key}.issuer`, problem);
}

// A whole path segment of an https URL: the tenant can then neither change the host nor run into a neighbour
// segment, and two templates only meet on the same tenant segment.
function templateProblem(issuer: string): string | undefined {
  const parts = issuer.split(TENANT_PLACEHOLDER);
  if (parts.length !== 2) return `must hold ${TENANT_PLACEHOLDER} once`;
  const [before, after] = parts as [string, string];
  if (!before.startsWith('https://')) return 'a template must be an https URL';
  const host = before.slice('https://'.length);
  const wholeSegment = /^[^/]+\/(.*\/)?$/.test(host) && (after === '' || after.startsWith('/'));
  if (!wholeSegment) return `${TENANT_PLACEHOLDER} must be a whole path segment, after the host`;
  return undefined;
}

/** Returns the issuer a template names for one tenant. */
export function expandIssuer(template: string, tenant: string): string {
  return template.replace(TENANT_PLACEHOLDER, tenant);
}

/**
 * Throws ConfigError when two templates name the same issuer for some tenant (which entry would decide?). An
 * exact entry for a tenant a template lists is not an error: it decides that tenant's tokens, and is logged.
 */
export function checkTemplateOverlaps(issuers: readonly TrustedIssuer[], logger?: Logger): void {
  const exact = new Map(issuers.filter((i) => !i.tenants).map((i) => [i.issuer, i.source]));
  const expanded = new Map<string, string>();
  for (const issuer of issuers) {
    for (const tenant of issuer.tenants ?? []) {
      const name = expandIssuer(issuer.issuer, tenant);
      const other = expanded.get(name);
      if (other !== undefined) {
        throw new ConfigError(
          `${issuer.source}.tenants`,
          `tenant ${tenant} makes the same issuer as ${other}`,
        );
      }
      expanded.set(name, issuer.source);
      const shadow = exact.get(name);
      if (shadow !== undefined) {
        logger?.info(
          { issuer: name },
          `${issuer.source}: tenant ${tenant} is decided by ${shadow}, an exact entry`,
        );
      }
    }
  }
}

/**
 * Throws `issuer_unknown` unless the token's `tid` is the tenant its `iss` was matched for: Microsoft's check for
 * multi-tenant apps (iss is the template with tid in place), since one key set signs every tenant's tokens.
 */
export function checkTenant(claims: Readonly<Record<string, unknown>>, tenant: string | undefined): void {
  if (tenant === undefined || claims.tid === tenant) return;
  throw new AuthenticationError(ReasonCode.IssuerUnknown, 'token tid is not the tenant its iss names');
}

/**
 * Returns whether `iss` is an issuer whose tokens a trusted entry takes: an exact entry's, or a template's with one
 * of its tenants in place (never the template itself, which no token names).
 */
export function trustsIssuer(issuers: readonly TrustedIssuer[], iss: string): boolean {
  return issuers.some((entry) =>
    entry.tenants === undefined
      ? entry.issuer === iss
      : entry.tenants.some((tenant) => expandIssuer(entry.issuer, tenant) === iss),
  );
}
