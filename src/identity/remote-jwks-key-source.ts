import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { AuthenticationError, KeyFetchErrorCode, ReasonCode, UnavailableError } from '../errors';
import { cacheLifetimeMs } from './cache-lifetime';
import { fetchCappedJson, type JwksFetch } from './capped-json-fetch';
import type { DiscoveryLimits } from './discovered-jwks-location';
import { importJwks } from './jwks';
import type { JwksLocation } from './jwks-location';
import { KeyFetchError, keyFetchFailureOf } from './key-fetch-error';
import type { KeyFetchListener } from './key-fetch-stats';
import { selectKey, type KeyHoldings, type KeyRequest, type KeySource } from './key-source';
import type { VerificationKey } from './trusted-issuer';

/** Timing and size limits of the JWKS client; every field has a default. */
export interface JwksClientLimits {
  /** Longest a fetched key set is trusted before it is fetched again (default 10 min); a shorter Cache-Control max-age wins. */
  maxAgeMs: number;
  /** At most one fetch per issuer per this interval, whatever the reason (default 30 s). */
  refetchIntervalMs: number;
  /** How long an expired key set may still be used while the URL fails (default 1 h). */
  staleIfErrorMs: number;
  /** Per fetch, of a key set or a discovery document; also the most start-up waits for prefetchKeys. */
  timeoutMs: number;
  maxBytes: number;
  /** How long a jwks_uri found by discovery is used before the document is read again (default 1 h); a shorter Cache-Control max-age wins. */
  discoveryMaxAgeMs: number;
  /** Largest discovery document read (default 64 KiB); providers publish a few KiB. */
  discoveryMaxBytes: number;
}

/** The defaults of {@link JwksClientLimits}. */
export const DEFAULT_JWKS_LIMITS: JwksClientLimits = {
  maxAgeMs: 10 * 60_000,
  refetchIntervalMs: 30_000,
  staleIfErrorMs: 60 * 60_000,
  timeoutMs: 5_000,
  maxBytes: 512 * 1024,
  discoveryMaxAgeMs: 60 * 60_000,
  discoveryMaxBytes: 64 * 1024,
};

/** Returns the discovery limits within the JWKS client limits. */
export function discoveryLimits(limits: JwksClientLimits): DiscoveryLimits {
  return {
    maxAgeMs: limits.discoveryMaxAgeMs,
    timeoutMs: limits.timeoutMs,
    maxBytes: limits.discoveryMaxBytes,
  };
}

/** What the remote key source needs from its surroundings. */
export interface RemoteJwksOptions {
  location: JwksLocation;
  source: string;
  fetch: JwksFetch;
  now: () => number;
  logger: Logger;
  limits?: Partial<JwksClientLimits>;
  /** Told how each fetch ended, for metrics and status. */
  fetched?: KeyFetchListener;
}

/** Keys from a JWKS URL, configured or discovered: cached, refreshed when expired or when a token names an unknown kid, rate-limited. */
export class RemoteJwksKeySource implements KeySource {
  private readonly limits: JwksClientLimits;
  private keys: VerificationKey[] | undefined;
  private expiresAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: RemoteJwksOptions) {
    this.limits = { ...DEFAULT_JWKS_LIMITS, ...options.limits };
  }

  /** Returns the key for this header, fetching the key set when needed; throws `key_unknown` or `keys_unavailable`. */
  async keyFor(request: KeyRequest): Promise<KeyObject> {
    if (this.options.now() >= this.expiresAt) {
      // The first refresh after the key set falls due is waited for, so that a key revoked at the source is not
      // trusted past its lifetime. Once one has failed, the stale set is what tokens are verified with until the
      // stale limit: waiting for each retry would hold every token of this issuer for up to a fetch timeout,
      // every refetch interval, while its endpoint hangs. A retry's answer is still taken when it comes (refresh
      // never rejects).
      const stale = this.servingStale();
      const refresh = this.refreshIfAllowed();
      if (!stale) await refresh;
    }
    const keys = this.usableKeys();
    let selected = selectKey(keys, request, true);
    // A new kid usually means the issuer rotated keys: look again, or wait for the look under way (a stale set's
    // retry is not waited for above), but never more often than the interval.
    if ('miss' in selected && selected.miss === 'unknown' && (this.inFlight || this.mayAttempt())) {
      await this.refreshIfAllowed();
      selected = selectKey(this.usableKeys(), request, true);
    }
    if ('miss' in selected) throw new AuthenticationError(ReasonCode.KeyUnknown, selected.message);
    return selected.key;
  }

  /** Fetches the key set now unless a fetch ran within the interval; resolves even when the fetch fails. */
  prefetch(): Promise<void> {
    return this.refreshIfAllowed();
  }

  /**
   * Returns the key set held and its times. Stale: a fetch failed after the key set fell due (a later success
   * would have moved the due time past it). Keys are fetched on demand only, so an idle replica's key set may be
   * past its due time with no fetch tried: that is neither stale nor unusable, as the next token fetches it.
   */
  held(): KeyHoldings {
    const jwksHost = this.options.location.host();
    if (!this.keys) {
      return { keys: [], refreshDueMs: null, usableUntilMs: null, stale: false, usable: false, jwksHost };
    }
    const usableUntilMs = this.expiresAt + this.limits.staleIfErrorMs;
    const stale = this.isStale();
    const usable = this.keys.length > 0 && !(stale && this.options.now() >= usableUntilMs);
    return { keys: this.keys, refreshDueMs: this.expiresAt, usableUntilMs, stale, usable, jwksHost };
  }

  // A fetch failed after the key set fell due (a later success would have moved the due time past it).
  private isStale(): boolean {
    return this.keys !== undefined && this.lastFailureAt >= this.expiresAt;
  }

  // Stale, and still within the stale limit: its keys verify tokens while retries go on behind them.
  private servingStale(): boolean {
    return this.isStale() && this.options.now() < this.expiresAt + this.limits.staleIfErrorMs;
  }

  private usableKeys(): VerificationKey[] {
    const now = this.options.now();
    if (this.keys && now < this.expiresAt + this.limits.staleIfErrorMs) return this.keys;
    throw new UnavailableError(
      ReasonCode.KeysUnavailable,
      `the signing keys of this token's issuer cannot be fetched (${this.options.location.key})`,
    );
  }

  private mayAttempt(): boolean {
    return this.options.now() - this.lastAttemptAt >= this.limits.refetchIntervalMs;
  }

  private refreshIfAllowed(): Promise<void> {
    // Concurrent requests share one fetch instead of stampeding the issuer.
    if (this.inFlight) return this.inFlight;
    if (!this.mayAttempt()) return Promise.resolve();
    this.lastAttemptAt = this.options.now();
    this.inFlight = this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async refresh(): Promise<void> {
    const { location, source, logger } = this.options;
    let url: string | undefined;
    try {
      url = await location.url();
      const { document, cacheControl } = await fetchCappedJson(this.options.fetch, {
        url,
        what: 'JWKS',
        accept: 'application/jwk-set+json, application/json',
        timeoutMs: this.limits.timeoutMs,
        maxBytes: this.limits.maxBytes,
      });
      const { keys, skipped, problems } = importJwks(document);
      for (const note of skipped) logger.debug({ issuer: source, url }, `JWKS ${note}; key skipped`);
      for (const problem of problems) logger.warn({ issuer: source, url }, `JWKS ${problem}; key skipped`);
      // An error document or a set of unusable keys is a failed fetch, not a revocation: only a key set that
      // says it holds no signature keys ({"keys": []}) replaces the last good one with nothing.
      if (keys.length === 0 && problems.length > 0)
        throw new KeyFetchError(KeyFetchErrorCode.KeySetUnusable, `no usable signature key: ${problems[0]}`);
      this.keys = keys;
      const { maxAgeMs: longest, refetchIntervalMs: floorMs } = this.limits;
      const maxAgeMs = cacheLifetimeMs(cacheControl, { maxAgeMs: longest, floorMs });
      this.expiresAt = this.options.now() + maxAgeMs;
      logger.info({ issuer: source, url, keys: keys.length, maxAgeMs }, 'JWKS fetched');
      this.options.fetched?.succeeded();
    } catch (error) {
      this.lastFailureAt = this.options.now();
      this.options.fetched?.failed(keyFetchFailureOf(error));
      location.failed();
      const stale = this.keys ? 'keeping the previous key set' : 'no key set yet';
      logger.warn({ issuer: source, url, err: error }, `JWKS fetch failed; ${stale}`);
    }
  }
}
