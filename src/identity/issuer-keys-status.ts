import type { IssuerKeysStatusV1 } from '../schemas/issuer-keys-status.schema';
import type { DocumentFetches } from './key-fetch-stats';
import type { KeyHoldings } from './key-source';
import type { TrustedIssuer } from './trusted-issuer';

/** Returns the GET /v1/status entry of one issuer: counts, key ids and times, never a key, secret, URL or reply. */
export function issuerKeysStatus(
  issuer: TrustedIssuer,
  held: KeyHoldings,
  fetches: DocumentFetches[],
): IssuerKeysStatusV1 {
  return {
    issuer: issuer.issuer,
    config_key: issuer.source,
    key_source: issuer.keys.kind === 'static' ? issuer.keys.origin : issuer.keys.kind,
    usable: held.usable,
    keys: held.keys.length,
    kids: [...new Set(held.keys.flatMap((k) => (k.kid === undefined ? [] : [k.kid])))],
    stale: held.stale,
    refresh_due_at: isoOrNull(held.refreshDueMs),
    usable_until: isoOrNull(held.usableUntilMs),
    jwks_host: held.jwksHost,
    // Discovery first: a key set cannot be fetched before its jwks_uri is known.
    fetches: [...fetches]
      .sort((a, b) => (a.document === b.document ? 0 : a.document === 'discovery' ? -1 : 1))
      .map((f) => ({
        document: f.document,
        last_success_at: isoOrNull(f.lastSuccessMs),
        last_failure: f.lastFailure && {
          at: new Date(f.lastFailure.atMs).toISOString(),
          code: f.lastFailure.code,
          http_status: f.lastFailure.httpStatus ?? null,
        },
      })),
  };
}

/**
 * Returns a /ready warning when an issuer's tokens cannot be verified now for want of keys, else undefined. A
 * warning, not a failed check: an identity provider's outage must not take every replica out of the load balancer.
 * It names the configuration entry (`issuers[2]`), never the issuer URL, which the 401s keep to themselves too.
 */
export function issuerKeysWarning(status: IssuerKeysStatusV1): string | undefined {
  if (status.usable) return undefined;
  // /ready answers anyone, so the entry is named and not the issuer: /v1/status, behind a scope, maps one to the other.
  const issuer = status.config_key;
  const failures = lastFailures(status);
  if (status.refresh_due_at === null) {
    return `${issuer} has no verification keys: no key set fetched yet${failures}; its tokens are refused keys_unavailable until a fetch succeeds`;
  }
  if (status.keys === 0) {
    return `${issuer} has no verification keys: its key set holds no signature keys; its tokens are refused key_unknown`;
  }
  return `${issuer} has no usable verification keys: its key set was served until ${status.usable_until} and cannot be refreshed${failures}; its tokens are refused keys_unavailable`;
}

// Each document's last failure: with discovery, a key set that was not fetched for want of a jwks_uri
// (jwks_uri_unknown) is explained by the discovery document's failure beside it.
function lastFailures(status: IssuerKeysStatusV1): string {
  const failures = status.fetches.flatMap(({ document, last_failure: f }) => {
    if (!f) return [];
    return [`${document} ${f.code}${f.http_status === null ? '' : ` ${f.http_status}`} at ${f.at}`];
  });
  return failures.length === 0 ? '' : ` (last failure: ${failures.join('; ')})`;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
