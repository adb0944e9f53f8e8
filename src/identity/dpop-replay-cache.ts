/** What {@link DpopReplayCache.remember} found. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full' | 'over_quota';

/** How many live entries one proof key holds, by its thumbprint. */
interface KeyShare {
  jkt: string;
  live: number;
}

interface Entry {
  untilMs: number;
  // Shared by every entry of one key: one object per key, not a copy of its thumbprint per entry.
  share: KeyShare;
}

/** How big the cache may grow, in all and for one proof key. */
export interface ReplayCacheLimits {
  maxEntries: number;
  /** The most one proof key may hold; as large as maxEntries, one key can fill the cache again. */
  maxEntriesPerKey: number;
}

/**
 * The DPoP proofs seen in their window (RFC 9449 section 11.1), by a hash of key thumbprint and `jti`, in this
 * process's memory. Every entry lives equally long, so the oldest expires first and a sweep from the front is
 * exact. Bounded: when every entry is still live, a new proof is not remembered and must be refused (503), since
 * forgetting a live one would let it be replayed. And bounded per proof key, so that one client sending proofs as
 * fast as it can is refused alone once it holds its share, instead of filling the cache and refusing everyone.
 * On PostgreSQL a proof is also claimed in the cache every replica shares (SharedReplayCache); this one stays in
 * front of it, so a replay at the same replica costs no round trip, and its bounds stay per replica.
 */
export class DpopReplayCache {
  // Insertion order is expiry order: each entry is kept for the same time from when it was seen.
  private readonly seen = new Map<string, Entry>();
  private readonly shares = new Map<string, KeyShare>();

  constructor(private readonly limits: ReplayCacheLimits) {}

  /**
   * Remembers `key` for the proof key `jkt` until `untilMs`, unless it is remembered already (`replayed`), the
   * cache has no room (`full`), or `jkt` holds its share of it (`over_quota`).
   */
  remember(key: string, jkt: string, untilMs: number, nowMs: number): ReplayVerdict {
    this.sweep(nowMs);
    if (this.seen.has(key)) return 'replayed';
    if (this.seen.size >= this.limits.maxEntries) return 'full';
    const share = this.shares.get(jkt) ?? { jkt, live: 0 };
    if (share.live >= this.limits.maxEntriesPerKey) return 'over_quota';
    share.live += 1;
    this.shares.set(jkt, share);
    this.seen.set(key, { untilMs, share });
    return 'fresh';
  }

  /** Forgets `key`, remembered but then not accepted after all, so that the same proof may be sent again. */
  forget(key: string): void {
    const entry = this.seen.get(key);
    if (entry) this.drop(key, entry);
  }

  /** Returns when the oldest proof leaves the cache, making room: undefined when it is empty. */
  get oldestUntilMs(): number | undefined {
    return this.seen.values().next().value?.untilMs;
  }

  /** Returns how many proofs are remembered (expired ones included until the next sweep). */
  get size(): number {
    return this.seen.size;
  }

  private sweep(nowMs: number): void {
    for (const [key, entry] of this.seen) {
      if (entry.untilMs > nowMs) return;
      this.drop(key, entry);
    }
  }

  private drop(key: string, { share }: Entry): void {
    this.seen.delete(key);
    share.live -= 1;
    if (share.live === 0) this.shares.delete(share.jkt);
  }
}
