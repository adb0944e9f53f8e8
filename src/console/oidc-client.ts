import type { Logger } from 'pino';
import { ReasonCode, RequestError, UnavailableError } from '../errors';
import { fetchCappedJson, readCappedText, type JwksFetch } from '../identity/capped-json-fetch';
import { isLoopbackUrl, remoteUrlProblem } from '../identity/remote-url';

/** The console's OIDC login: one of the trusted issuers, as a public client with PKCE. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scope: string;
  /** The issuer entry's `discovery_url`; absent: `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl?: string;
}

/** What the page needs to start a login. */
export interface OidcLoginConfig {
  issuer: string;
  authorization_endpoint: string;
  client_id: string;
  scope: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

const TIMEOUT_MS = 5000;
// As for an issuer's discovery document: providers publish a few KiB.
const MAX_DOCUMENT_BYTES = 64 * 1024;

/**
 * Authorisation-code login with PKCE (RFC 7636) for the console. The browser makes the verifier and
 * holds it; the code is exchanged here, server to server, so the page needs neither CORS at the
 * identity provider nor a connect-src beyond 'self'. modelgate keeps no session: the page gets the
 * access token and sends it as a bearer token, verified on every call like any other.
 */
export class OidcClient {
  private discovery: Promise<Discovery> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
  ) {}

  /** Returns what the page needs to send the user to the identity provider. */
  async loginConfig(): Promise<OidcLoginConfig> {
    const d = await this.discover();
    return {
      issuer: d.issuer,
      authorization_endpoint: d.authorization_endpoint,
      client_id: this.settings.clientId,
      scope: this.settings.scope,
    };
  }

  /** Exchanges an authorisation code and its PKCE verifier for an access token. */
  async exchange(parts: { code: string; codeVerifier: string; redirectUri: string }): Promise<string> {
    const d = await this.discover();
    let res: Response;
    try {
      res = await fetch(d.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: parts.code,
          code_verifier: parts.codeVerifier,
          redirect_uri: parts.redirectUri,
          client_id: this.settings.clientId,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (err) {
      throw new UnavailableError(ReasonCode.KeysUnavailable, 'the identity provider cannot be reached', {
        cause: err,
      });
    }
    const body = await tokenReply(res);
    if (!res.ok || typeof body.access_token !== 'string') {
      this.logger.warn({ status: res.status, error: body.error }, 'console login: code exchange refused');
      throw new RequestError(
        ReasonCode.BadRequest,
        400,
        'the identity provider refused the login; sign in again',
      );
    }
    return body.access_token;
  }

  // Discovery once, retried on the next call after a failure.
  private discover(): Promise<Discovery> {
    this.discovery ??= this.fetchDiscovery().catch((err: unknown) => {
      this.discovery = undefined;
      throw err;
    });
    return this.discovery;
  }

  private async fetchDiscovery(): Promise<Discovery> {
    // The document the issuer entry names, where there is one: providers publish it elsewhere than under the issuer
    // (RFC 8414 before the issuer's path, Entra ID v1 on another host), and modelgate already reads it for the keys.
    const url =
      this.settings.discoveryUrl ??
      `${this.settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let doc: Partial<Record<keyof Discovery, unknown>>;
    try {
      const reply = await fetchCappedJson(globalThis.fetch as JwksFetch, {
        url,
        what: 'OIDC discovery document',
        accept: 'application/json',
        timeoutMs: TIMEOUT_MS,
        maxBytes: MAX_DOCUMENT_BYTES,
      });
      doc = (
        typeof reply.document === 'object' && reply.document !== null ? reply.document : {}
      ) as typeof doc;
    } catch (err) {
      throw new UnavailableError(ReasonCode.KeysUnavailable, `OIDC discovery failed at ${url}`, {
        cause: err,
      });
    }
    // RFC 8414 section 3.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== this.settings.issuer) {
      throw new UnavailableError(
        ReasonCode.KeysUnavailable,
        `OIDC discovery at ${url} is not for this issuer`,
      );
    }
    // The token endpoint receives the user's authorisation code: https only (plain http for a loopback
    // issuer's tests), and never credentials in a URL that ends up in the login page and the logs.
    const rules = { plainHttpOnLoopback: isLoopbackUrl(url) };
    for (const name of ['authorization_endpoint', 'token_endpoint'] as const) {
      const value = doc[name];
      const problem = typeof value === 'string' ? remoteUrlProblem(value, rules) : 'is missing';
      if (problem) {
        throw new UnavailableError(
          ReasonCode.KeysUnavailable,
          `OIDC discovery at ${url}: ${name} ${problem}`,
        );
      }
    }
    return doc as Discovery;
  }
}

// A token reply is a few KiB (an Entra access token runs past one); anything unreadable or larger is no token.
async function tokenReply(res: Response): Promise<{ access_token?: unknown; error?: unknown }> {
  try {
    const parsed: unknown = JSON.parse(await readCappedText(res, MAX_DOCUMENT_BYTES, 'token reply'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
