/** What {@link DpopReplayCache.remember} found. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/**
 * The DPoP proofs seen in their window (RFC 9449 section 11.1), by a hash of key thumbprint and `jti`, in this
 * process's memory. Every entry lives equally long, so the oldest expires first and a sweep from the front is
 * exact. Bounded: when every entry is still live, a new proof is not remembered and must be refused (503), since
 * forgetting a live one would let it be replayed.
 */
export class DpopReplayCache {
  // Insertion order is expiry order: each entry is kept for the same time from when it was seen.
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** Remembers `key` until `untilMs` unless it is remembered already (`replayed`) or there is no room (`full`). */
  remember(key: string, untilMs: number, nowMs: number): ReplayVerdict {
    this.sweep(nowMs);
    if (this.seen.has(key)) return 'replayed';
    if (this.seen.size >= this.maxEntries) return 'full';
    this.seen.set(key, untilMs);
    return 'fresh';
  }

  /** Returns how many proofs are remembered (expired ones included until the next sweep). */
  get size(): number {
    return this.seen.size;
  }

  private sweep(nowMs: number): void {
    for (const [key, untilMs] of this.seen) {
      if (untilMs > nowMs) return;
      this.seen.delete(key);
    }
  }
}
