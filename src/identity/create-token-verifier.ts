import type { Logger } from 'pino';
import { JwtTokenVerifier } from './jwt-token-verifier';
import { StaticKeySource, type KeySource } from './key-source';
import { RemoteJwksKeySource, type JwksClientLimits, type JwksFetch } from './remote-jwks-key-source';
import { DEFAULT_TOKEN_CACHE_LIMITS, VerifiedTokenCache, type TokenCacheLimits } from './token-cache';
import type { TokenVerifier } from './token-verifier';
import type { TrustedIssuer } from './trusted-issuer';

/** What the token verifier needs besides the issuers; only `logger` is required. */
export interface TokenVerifierOptions {
  logger: Logger;
  /** The clock, in unix milliseconds (default `Date.now`). */
  now?: () => number;
  /** How JWKS URLs are fetched (default `globalThis.fetch`). */
  fetch?: JwksFetch;
  cache?: Partial<TokenCacheLimits>;
  jwks?: Partial<JwksClientLimits>;
}

/** A TokenVerifier that can also warm its JWKS caches at start-up. */
export interface StartableTokenVerifier extends TokenVerifier {
  /** Fetches every JWKS URL once; never throws (failures are logged and retried on demand). */
  prefetchKeys(): Promise<void>;
}

/** Returns a verifier for the given trusted issuers: JWT signatures and claims, a verified-token cache, JWKS clients. */
export function createTokenVerifier(
  issuers: TrustedIssuer[],
  options: TokenVerifierOptions,
): StartableTokenVerifier {
  const now = options.now ?? Date.now;
  const fetch = options.fetch ?? (globalThis.fetch as unknown as JwksFetch);
  const remotes: RemoteJwksKeySource[] = [];
  const bindings = issuers.map((issuer) => {
    let keys: KeySource;
    if (issuer.keys.kind === 'jwks_url') {
      const remote = new RemoteJwksKeySource({
        url: issuer.keys.url,
        source: issuer.source,
        fetch,
        now,
        logger: options.logger,
        limits: options.jwks,
      });
      remotes.push(remote);
      keys = remote;
    } else {
      keys = new StaticKeySource(issuer.keys.keys, issuer.keys.matchKid);
    }
    return { issuer, keys };
  });
  const cache = new VerifiedTokenCache({ ...DEFAULT_TOKEN_CACHE_LIMITS, ...options.cache }, now);
  const verifier = new JwtTokenVerifier({ issuers: bindings, cache, now, logger: options.logger });
  return {
    verify: (token) => verifier.verify(token),
    prefetchKeys: async () => {
      await Promise.all(remotes.map((remote) => remote.prefetch()));
    },
  };
}
