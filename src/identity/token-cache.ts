import type { VerifiedIdentity } from './verified-identity';

/** Size and lifetime bounds of the verified-token cache. */
export interface TokenCacheLimits {
  /** Most entries kept; the least recently used goes first (default 10 000). */
  maxEntries: number;
  /** Longest an entry lives, whatever its exp, so a removed key stops working soon (default 60 s). */
  ttlMs: number;
}

/** The defaults of {@link TokenCacheLimits}. */
export const DEFAULT_TOKEN_CACHE_LIMITS: TokenCacheLimits = { maxEntries: 10_000, ttlMs: 60_000 };

interface Entry {
  identity: VerifiedIdentity;
  validUntilMs: number;
}

/**
 * Successful verifications, keyed by the SHA-256 of the token (the token itself is never held),
 * valid until the earlier of `exp` and the TTL. Failures are never stored: rejecting is cheap,
 * a refused token may become valid (nbf, a rotated key), and an attacker must not be able to fill the cache.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly limits: TokenCacheLimits,
    private readonly now: () => number,
  ) {}

  /** Returns the cached identity for a token's SHA-256 (hex), or undefined when absent or no longer valid. */
  get(key: string): VerifiedIdentity | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.now() >= entry.validUntilMs) return undefined;
    // Re-inserting moves the entry to the young end of the Map's insertion order: LRU for free.
    this.entries.set(key, entry);
    return entry.identity;
  }

  /** Stores an identity until its exp or the TTL, whichever comes first; an already expired one is not stored. */
  set(key: string, identity: VerifiedIdentity): void {
    if (this.limits.maxEntries <= 0) return;
    const now = this.now();
    const validUntilMs = Math.min(identity.expiresAt * 1000, now + this.limits.ttlMs);
    if (validUntilMs <= now) return;
    this.entries.delete(key);
    this.entries.set(key, { identity, validUntilMs });
    while (this.entries.size > this.limits.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Returns how many entries are held (expired ones included until touched or evicted). */
  get size(): number {
    return this.entries.size;
  }
}
