import type { Logger } from 'pino';
import type { IssuerKeysStatusV1 } from '../schemas/issuer-keys-status.schema';
import type { JwksFetch } from './capped-json-fetch';
import { DiscoveredJwksLocation } from './discovered-jwks-location';
import { fixedJwksLocation, type JwksLocation } from './jwks-location';
import { issuerKeysStatus } from './issuer-keys-status';
import { JwtTokenVerifier } from './jwt-token-verifier';
import { KeyFetchStats, type IssuerKeyFetches } from './key-fetch-stats';
import { StaticKeySource, type KeySource } from './key-source';
import {
  DEFAULT_JWKS_LIMITS,
  discoveryLimits,
  RemoteJwksKeySource,
  type JwksClientLimits,
} from './remote-jwks-key-source';
import { DEFAULT_TOKEN_CACHE_LIMITS, VerifiedTokenCache, type TokenCacheLimits } from './token-cache';
import type { TokenVerifier } from './token-verifier';
import type { RemoteIssuerKeys, TrustedIssuer } from './trusted-issuer';

/** What the token verifier needs besides the issuers; only `logger` is required. */
export interface TokenVerifierOptions {
  logger: Logger;
  /** The clock, in unix milliseconds (default `Date.now`). */
  now?: () => number;
  /** How JWKS URLs and discovery documents are fetched (default `globalThis.fetch`). */
  fetch?: JwksFetch;
  cache?: Partial<TokenCacheLimits>;
  jwks?: Partial<JwksClientLimits>;
}

/** A TokenVerifier that can also warm its JWKS caches at start-up. */
export interface StartableTokenVerifier extends TokenVerifier {
  /**
   * Fetches every remote key set once (after its discovery document), waiting at most the fetch timeout in
   * all; never throws (failures are logged and retried on demand, a slow fetch goes on in the background).
   */
  prefetchKeys(): Promise<void>;
  /** Returns the fetch counts and last success of every issuer whose keys are fetched, for metrics. */
  keyFetches(): IssuerKeyFetches[];
  /** Returns, for every trusted issuer in configuration order, the keys it holds and their fetches: for GET /v1/status. */
  keyStatus(): IssuerKeysStatusV1[];
}

interface RemoteContext {
  fetch: JwksFetch;
  now: () => number;
  logger: Logger;
  limits: JwksClientLimits;
  stats: KeyFetchStats;
}

/** Returns a verifier for the given trusted issuers: JWT signatures and claims, a verified-token cache, JWKS clients. */
export function createTokenVerifier(
  issuers: TrustedIssuer[],
  options: TokenVerifierOptions,
): StartableTokenVerifier {
  const now = options.now ?? Date.now;
  const limits = { ...DEFAULT_JWKS_LIMITS, ...options.jwks };
  const context: RemoteContext = {
    fetch: options.fetch ?? (globalThis.fetch as unknown as JwksFetch),
    now,
    logger: options.logger,
    limits,
    stats: new KeyFetchStats(now),
  };
  const remotes: RemoteJwksKeySource[] = [];
  const bindings = issuers.map((issuer) => {
    let keys: KeySource;
    if (issuer.keys.kind === 'static') {
      keys = new StaticKeySource(issuer.keys.keys, issuer.keys.matchKid);
    } else {
      const location = jwksLocation(issuer, issuer.keys, context);
      const remote = new RemoteJwksKeySource({
        ...context,
        location,
        source: issuer.source,
        fetched: context.stats.listener(issuer.issuer, 'jwks'),
      });
      remotes.push(remote);
      keys = remote;
    }
    return { issuer, keys };
  });
  const cache = new VerifiedTokenCache({ ...DEFAULT_TOKEN_CACHE_LIMITS, ...options.cache }, now);
  const verifier = new JwtTokenVerifier({ issuers: bindings, cache, now, logger: options.logger });
  return {
    verify: (token) => verifier.verify(token),
    prefetchKeys: () =>
      atMost(
        Promise.all(remotes.map((remote) => remote.prefetch())).then(() => undefined),
        limits.timeoutMs,
      ),
    keyFetches: () => context.stats.status(),
    keyStatus: () =>
      bindings.map(({ issuer, keys }) =>
        issuerKeysStatus(issuer, keys.held(), context.stats.documents(issuer.issuer)),
      ),
  };
}

function jwksLocation(issuer: TrustedIssuer, keys: RemoteIssuerKeys, context: RemoteContext): JwksLocation {
  if (keys.kind === 'jwks_url') return fixedJwksLocation(keys.url, `${issuer.source}.jwks_url`);
  return new DiscoveredJwksLocation({
    ...context,
    discoveryUrl: keys.url,
    issuer: issuer.issuer,
    source: issuer.source,
    limits: discoveryLimits(context.limits),
    fetched: context.stats.listener(issuer.issuer, 'discovery'),
  });
}

// Discovery then the key set are two fetches; start-up waits for one timeout, not two, and the rest goes on.
function atMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
