import { KeyFetchErrorCode } from '../errors';
import { KeyFetchError } from './key-fetch-error';
import { isLoopbackUrl, remoteUrlProblem } from './remote-url';

/** Where a metadata document was fetched from, and the issuer it must be for. */
export interface MetadataExpectation {
  issuer: string;
  discoveryUrl: string;
}

/**
 * Returns the `jwks_uri` of an OpenID Provider Configuration (OpenID Connect Discovery 1.0) or OAuth 2.0
 * Authorization Server Metadata (RFC 8414) document; throws a KeyFetchError saying why the document is refused.
 */
export function jwksUriOf(document: unknown, expected: MetadataExpectation): string {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid('the reply is not an OpenID provider or authorization server metadata document');
  }
  const { issuer, jwks_uri: jwksUri } = document as Record<string, unknown>;
  if (typeof issuer !== 'string') throw invalid('the document has no issuer');
  // Exact, as OIDC Discovery 1.0 section 4.3 and RFC 8414 section 3.3 demand: a document for another issuer
  // (a mix-up) must not supply this issuer's keys. An Entra {tenantid} template entry is compared as written,
  // which is what Microsoft's common document names; one tenant's entry refuses that document.
  if (issuer !== expected.issuer) {
    throw new KeyFetchError(
      KeyFetchErrorCode.DiscoveryIssuerMismatch,
      `the document names issuer ${quoted(issuer)}, not the configured ${quoted(expected.issuer)}`,
    );
  }
  if (typeof jwksUri !== 'string') throw invalid('the document has no jwks_uri');
  // Plain http to a loopback key set is for tests, and only when the document itself came from loopback.
  const problem = remoteUrlProblem(jwksUri, { plainHttpOnLoopback: isLoopbackUrl(expected.discoveryUrl) });
  if (problem) throw invalid(`the document's jwks_uri ${withoutCredentials(jwksUri)} ${problem}`);
  return jwksUri;
}

function invalid(message: string): KeyFetchError {
  return new KeyFetchError(KeyFetchErrorCode.DiscoveryDocumentInvalid, message);
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

// A jwks_uri refused for its credentials is named without them: the log must not carry a password.
function withoutCredentials(url: string): string {
  if (!URL.canParse(url)) return quoted(url);
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return quoted(parsed.href);
}
