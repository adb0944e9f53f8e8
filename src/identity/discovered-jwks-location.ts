import type { Logger } from 'pino';
import { KeyFetchErrorCode } from '../errors';
import { cacheLifetimeMs } from './cache-lifetime';
import { fetchCappedJson, type JwksFetch } from './capped-json-fetch';
import { KeyFetchError, keyFetchFailureOf } from './key-fetch-error';
import { hostOf, type JwksLocation } from './jwks-location';
import type { KeyFetchListener } from './key-fetch-stats';
import { jwksUriOf } from './provider-metadata';

/** Timing and size limits of discovery. */
export interface DiscoveryLimits {
  /** How long a discovered jwks_uri is used before the document is read again; a shorter max-age wins. */
  maxAgeMs: number;
  timeoutMs: number;
  maxBytes: number;
}

/** What a discovered location needs from its surroundings. */
export interface DiscoveredJwksOptions {
  /** The URL of the OpenID Provider Configuration or RFC 8414 metadata document. */
  discoveryUrl: string;
  /** The configured issuer, which the document must name exactly. */
  issuer: string;
  /** Where the issuer entry came from, for logs: `issuers[2]`. */
  source: string;
  fetch: JwksFetch;
  now: () => number;
  logger: Logger;
  limits: DiscoveryLimits;
  /** Told how each read of the document ended, for metrics and status. */
  fetched?: KeyFetchListener;
}

/**
 * The jwks_uri of an issuer's metadata document. It is read when the key set is first fetched, again once
 * `maxAgeMs` (or the document's shorter Cache-Control max-age) has passed or a fetch from it failed (the provider may have moved its keys), and never more often
 * than the key set is fetched, whose refresh limits apply. While the document cannot be read, the last good
 * jwks_uri stays in use: the key set's own expiry decides how long its keys are trusted.
 */
export class DiscoveredJwksLocation implements JwksLocation {
  readonly key: string;
  private jwksUri: string | undefined;
  private expiresAt = 0;

  constructor(private readonly options: DiscoveredJwksOptions) {
    this.key = `${options.source}.discovery_url`;
  }

  /** Returns the discovered jwks_uri, reading the document first when due; throws when none was ever found. */
  async url(): Promise<string> {
    // Callers are the key set's refreshes, which already run one at a time.
    if (this.options.now() >= this.expiresAt) await this.discover();
    if (this.jwksUri === undefined) {
      throw new KeyFetchError(
        KeyFetchErrorCode.JwksUriUnknown,
        `no jwks_uri: ${this.key} has not been read yet`,
      );
    }
    return this.jwksUri;
  }

  /** Returns the host of the discovered jwks_uri, or null before one was found. */
  host(): string | null {
    return this.jwksUri === undefined ? null : hostOf(this.jwksUri);
  }

  /** Makes the next url() read the document again. */
  failed(): void {
    this.expiresAt = 0;
  }

  private async discover(): Promise<void> {
    const { discoveryUrl: url, issuer, source, logger, limits } = this.options;
    try {
      const { document, cacheControl } = await fetchCappedJson(this.options.fetch, {
        url,
        what: 'discovery document',
        accept: 'application/json',
        timeoutMs: limits.timeoutMs,
        maxBytes: limits.maxBytes,
      });
      const jwksUri = jwksUriOf(document, { issuer, discoveryUrl: url });
      if (jwksUri !== this.jwksUri) {
        logger.info({ issuer: source, url, jwksUri, previous: this.jwksUri }, 'OpenID discovery: jwks_uri');
      }
      this.jwksUri = jwksUri;
      // No floor is needed: url() is only asked on a key set refresh, whose own interval limits the reads.
      this.expiresAt =
        this.options.now() + cacheLifetimeMs(cacheControl, { maxAgeMs: limits.maxAgeMs, floorMs: 0 });
      this.options.fetched?.succeeded();
    } catch (error) {
      this.options.fetched?.failed(keyFetchFailureOf(error));
      const kept = this.jwksUri === undefined ? 'no jwks_uri yet' : 'keeping the previous jwks_uri';
      logger.warn({ issuer: source, url, err: error }, `OpenID discovery failed; ${kept}`);
    }
  }
}
