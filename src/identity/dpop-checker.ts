import { hash } from 'node:crypto';
import {
  AuthenticationError,
  ReasonCode,
  TooManyRequestsError,
  UnavailableError,
  type ModelgateError,
} from '../errors';
import { ASYMMETRIC_JWT_ALGORITHMS, type JwtAlgorithm } from '../schemas/issuer-config.schema';
import {
  DEFAULT_DPOP_NONCE_LIFETIME_SECONDS,
  dpopNonceSecret,
  DpopNonces,
  type DpopNonceSettings,
} from './dpop-nonce';
import { readDpopProof, type DpopProof } from './dpop-proof';
import { DpopReplayCache, type ReplayVerdict } from './dpop-replay-cache';
import { normaliseHttpUri, publicUrlBases, targetPath } from './request-uri';
import type { SharedReplayCache } from './shared-replay-cache';

/** How DPoP proofs are checked (the `dpop` section of the configuration, resolved). */
export interface DpopSettings {
  /** The URLs callers reach this service at; a proof's `htu` must be one of them followed by the request path. */
  publicUrls: string[];
  /** The proof algorithms accepted (asymmetric only); default DEFAULT_DPOP_ALGORITHMS. */
  algorithms?: JwtAlgorithm[];
  /** How old a proof's `iat` may be; default 60 s. */
  maxAgeSeconds?: number;
  /** Tolerance for the caller's clock, as issuers' `clock_skew_seconds`; default 30 s. */
  clockSkewSeconds?: number;
  /** The most proofs remembered for replay detection; default 200 000. */
  replayCacheEntries?: number;
  /** The most of them one proof key may hold; default 10 000, and never more than replayCacheEntries. */
  replayEntriesPerKey?: number;
  /** Server-provided nonces (RFC 9449 section 8); absent: none are handed out, and a proof's nonce is ignored. */
  nonce?: DpopNonceSettings;
}

/** Every asymmetric algorithm modelgate verifies: the default DPoP allowlist. */
export const DEFAULT_DPOP_ALGORITHMS: readonly JwtAlgorithm[] = ASYMMETRIC_JWT_ALGORITHMS;

/** The defaults of {@link DpopSettings}. */
export const DEFAULT_DPOP_MAX_AGE_SECONDS = 60;
export const DEFAULT_DPOP_CLOCK_SKEW_SECONDS = 30;
export const DEFAULT_DPOP_REPLAY_CACHE_ENTRIES = 200_000;
export const DEFAULT_DPOP_REPLAY_ENTRIES_PER_KEY = 10_000;

/** One request as a DPoP proof must match it. */
export interface DpopRequest {
  /** Each DPoP header the request carried. */
  proofs: readonly string[];
  method: string;
  /** The request-target as sent: path and query. */
  target: string;
  /** The access token of the Authorization header, already verified. */
  accessToken: string;
  /** The thumbprint the token is bound to (`cnf.jkt`). */
  jkt: string;
}

/** Checks the DPoP proof of each request to a protected resource (RFC 9449 sections 4.3 and 7.1). */
export class DpopChecker {
  /** The proof algorithms accepted, for the `algs` of a challenge. */
  readonly algorithms: readonly JwtAlgorithm[];
  private readonly bases: string[];
  private readonly maxAgeSeconds: number;
  private readonly skewSeconds: number;
  private readonly replays: DpopReplayCache;
  private readonly nonces: DpopNonces | undefined;
  private readonly nonceRequired: boolean;
  private shared: SharedReplayCache | undefined;

  /** Reads the nonce secret file, if any: throws ConfigError for a bad setting, before the service starts. */
  constructor(
    settings: DpopSettings,
    private readonly now: () => number,
  ) {
    this.bases = publicUrlBases(settings.publicUrls, 'dpop.public_urls');
    this.algorithms = settings.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
    this.maxAgeSeconds = settings.maxAgeSeconds ?? DEFAULT_DPOP_MAX_AGE_SECONDS;
    this.skewSeconds = settings.clockSkewSeconds ?? DEFAULT_DPOP_CLOCK_SKEW_SECONDS;
    const maxEntries = settings.replayCacheEntries ?? DEFAULT_DPOP_REPLAY_CACHE_ENTRIES;
    const perKey = settings.replayEntriesPerKey ?? DEFAULT_DPOP_REPLAY_ENTRIES_PER_KEY;
    this.replays = new DpopReplayCache({ maxEntries, maxEntriesPerKey: Math.min(perKey, maxEntries) });
    this.nonceRequired = settings.nonce?.required ?? false;
    this.nonces = settings.nonce && this.makeNonces(settings.nonce);
  }

  /**
   * Claims every proof accepted from now on in `shared` as well, after this replica's own cache: on PostgreSQL, so
   * that a proof accepted by one replica is refused by every other. Called by the composition root once the database
   * is open, before the service listens.
   */
  shareReplays(shared: SharedReplayCache): void {
    this.shared = shared;
  }

  /** Returns the nonce a client should put in its next proof (the `DPoP-Nonce` header), or undefined without nonces. */
  nonce(): string | undefined {
    return this.nonces?.current();
  }

  /**
   * Resolves when the request carries exactly one valid, unspent proof, for its method and URI, made now, for this
   * token and by the key the token is bound to, with a nonce of this service when nonces are required. Throws
   * AuthenticationError (401, a dpop_* code), TooManyRequestsError `dpop_replay_quota_exceeded` (429) when its key
   * holds its share of the replay cache, or UnavailableError (503) `dpop_replay_cache_full` when the cache is full
   * or `dpop_replay_cache_unavailable` when the shared cache cannot take the proof.
   */
  async check(request: DpopRequest): Promise<void> {
    if (request.proofs.length === 0) {
      throw new AuthenticationError(
        ReasonCode.DpopProofMissing,
        'the DPoP scheme needs a DPoP header holding a proof for this request',
      );
    }
    // A proof is a compact JWS, which holds no comma: one with a comma is two headers joined by a proxy.
    if (request.proofs.length > 1 || request.proofs[0]!.includes(',')) {
      throw invalid('more than one DPoP header was sent; send exactly one proof');
    }
    const proof = readDpopProof(request.proofs[0]!, this.algorithms, request.jkt);
    if (proof.htm !== request.method) throw invalid('DPoP proof htm is not the method of this request');
    this.checkHtu(proof.htu, request.target);
    this.checkIat(proof.iat);
    if (proof.ath !== hash('sha256', request.accessToken, 'base64url')) {
      throw mismatch('DPoP proof ath is not the hash of the access token it came with');
    }
    // After every check a new proof cannot fix, so that the client's retry with the nonce is not refused for them.
    this.checkNonce(proof.nonce);
    await this.remember(proof);
  }

  private makeNonces(settings: DpopNonceSettings): DpopNonces {
    const lifetimeSeconds = settings.lifetimeSeconds ?? DEFAULT_DPOP_NONCE_LIFETIME_SECONDS;
    return new DpopNonces(
      dpopNonceSecret(settings.secretFile),
      { lifetimeSeconds, clockSkewSeconds: this.skewSeconds },
      this.now,
    );
  }

  // RFC 9449 section 9: a missing or unknown nonce is answered with use_dpop_nonce and a fresh DPoP-Nonce (the
  // HTTP layer sets that on every reply), so a client retries once with it.
  private checkNonce(nonce: unknown): void {
    if (!this.nonces) return;
    if (nonce === undefined) {
      if (!this.nonceRequired) return;
      throw new AuthenticationError(
        ReasonCode.DpopNonceMissing,
        'this service requires a nonce in DPoP proofs: sign a new proof with the nonce of the DPoP-Nonce header of this reply',
      );
    }
    if (!this.nonces.accepts(nonce)) {
      throw new AuthenticationError(
        ReasonCode.DpopNonceInvalid,
        'DPoP proof nonce is not one this service handed out, or it has expired: sign a new proof with the nonce of the DPoP-Nonce header of this reply',
      );
    }
  }

  // The request's URI as the caller wrote it is one of the configured public URLs followed by the path it reached
  // here with. The Host header and X-Forwarded-* are the caller's to write, so they never say which URL that is.
  private checkHtu(htu: string, target: string): void {
    const claimed = normaliseHttpUri(htu);
    const path = targetPath(target);
    if (claimed !== undefined && this.bases.some((base) => normaliseHttpUri(base + path) === claimed)) return;
    throw invalid(
      'DPoP proof htu is not the URI of this request at any of the public URLs of this service (dpop.public_urls)',
    );
  }

  // Taken while now < iat + max age + skew: the end is excluded, as the replay cache lets a proof go at the end of
  // its window, and a proof taken at iat - skew has its window end at that very instant.
  private checkIat(iat: number): void {
    const nowSeconds = this.now() / 1000;
    if (iat <= nowSeconds - this.maxAgeSeconds - this.skewSeconds || iat > nowSeconds + this.skewSeconds) {
      throw new AuthenticationError(
        ReasonCode.DpopProofStale,
        `DPoP proof iat is more than ${this.maxAgeSeconds} s old or in the future (clock skew ${this.skewSeconds} s)`,
      );
    }
  }

  // Checked last, so that only proofs that passed every other check take a place in the cache. A proof is accepted
  // while now < iat + max age + skew, and iat <= now + skew: keeping it max age + 2 skew from now covers that.
  // This replica's cache first: a replay here, or a key over its share, is refused without a round trip.
  private async remember(proof: DpopProof): Promise<void> {
    const nowMs = this.now();
    const windowMs = this.replayWindowSeconds() * 1000;
    const key = hash('sha256', `${proof.jkt}\n${proof.jti}`, 'base64url');
    const verdict = this.replays.remember(key, proof.jkt, nowMs + windowMs, nowMs);
    if (verdict !== 'fresh') throw this.refusal(verdict, nowMs);
    if (this.shared && !(await this.claimShared(this.shared, key, windowMs)))
      throw this.refusal('replayed', nowMs);
  }

  // Fails closed: a proof whose claim cannot be made is refused, never accepted unremembered. It was not accepted,
  // so this replica forgets it too, and the client may send the same proof again once the database answers.
  private async claimShared(shared: SharedReplayCache, key: string, windowMs: number): Promise<boolean> {
    try {
      return await shared.claim(key, windowMs);
    } catch (err) {
      this.replays.forget(key);
      throw new UnavailableError(
        ReasonCode.DpopReplayCacheUnavailable,
        'the DPoP replay cache the replicas share (database.url) cannot be reached: the proof could not be remembered',
        { cause: err },
      );
    }
  }

  /** How long a proof is remembered after it was accepted: max age + 2 skew (see remember). */
  private replayWindowSeconds(): number {
    return this.maxAgeSeconds + 2 * this.skewSeconds;
  }

  private refusal(verdict: Exclude<ReplayVerdict, 'fresh'>, nowMs: number): ModelgateError {
    if (verdict === 'replayed') {
      return new AuthenticationError(ReasonCode.DpopProofReplayed, 'DPoP proof was used before (its jti)');
    }
    if (verdict === 'full') {
      // Room comes when the oldest proof leaves, the same moment for every caller.
      const oldestUntilMs = this.replays.oldestUntilMs ?? nowMs;
      return new UnavailableError(
        ReasonCode.DpopReplayCacheFull,
        'the DPoP replay cache is full (dpop.replay_cache_entries): the proof could not be remembered',
        { retryAfterSeconds: Math.max(1, Math.ceil((oldestUntilMs - nowMs) / 1000)) },
      );
    }
    // 429, not 401: the proof is valid; its key has sent more proofs in one window than its share of the cache.
    // Retry-After is the window: by then every proof the key holds has left (its oldest may leave sooner).
    const windowSeconds = this.replayWindowSeconds();
    return new TooManyRequestsError(
      ReasonCode.DpopReplayQuotaExceeded,
      `this DPoP key has sent more proofs than its share of the replay cache holds (dpop.replay_entries_per_key); each leaves it ${windowSeconds} s after it was accepted`,
      { retryAfterSeconds: windowSeconds },
    );
  }
}

function invalid(message: string): AuthenticationError {
  return new AuthenticationError(ReasonCode.DpopProofInvalid, message);
}

function mismatch(message: string): AuthenticationError {
  return new AuthenticationError(ReasonCode.DpopBindingMismatch, message);
}
