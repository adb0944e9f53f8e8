/**
 * The replay cache's bounds over time, with a clock the test moves: one proof key's share frees as its proofs
 * leave their window, and the whole cache stays first. Served refusals are in test/server/decide-dpop*.test.ts.
 */
import { DpopReplayCache } from '../../src/identity/dpop-replay-cache';

const WINDOW_MS = 120_000;

describe('the DPoP replay cache', () => {
  it("refuses a key past its share until that key's proofs expire, and never another key", () => {
    const cache = new DpopReplayCache({ maxEntries: 10, maxEntriesPerKey: 2 });
    expect(cache.remember('a1', 'key-a', WINDOW_MS, 0)).toBe('fresh');
    expect(cache.remember('a2', 'key-a', WINDOW_MS + 1, 1)).toBe('fresh');
    expect(cache.remember('a3', 'key-a', WINDOW_MS + 2, 2)).toBe('over_quota');
    expect(cache.remember('b1', 'key-b', WINDOW_MS + 2, 2)).toBe('fresh');
    // The first proof of key-a leaves its window: one place of its share is free again, and only one.
    expect(cache.remember('a3', 'key-a', 2 * WINDOW_MS, WINDOW_MS)).toBe('fresh');
    expect(cache.remember('a4', 'key-a', 2 * WINDOW_MS, WINDOW_MS)).toBe('over_quota');
    expect(cache.remember('a2', 'key-a', 2 * WINDOW_MS, WINDOW_MS)).toBe('replayed');
    expect(cache.size).toBe(3);
  });

  it('answers full before over_quota: a cache full of live proofs refuses everyone', () => {
    const cache = new DpopReplayCache({ maxEntries: 2, maxEntriesPerKey: 2 });
    expect(cache.remember('a1', 'key-a', WINDOW_MS, 0)).toBe('fresh');
    expect(cache.remember('b1', 'key-b', WINDOW_MS, 0)).toBe('fresh');
    expect(cache.remember('a2', 'key-a', WINDOW_MS, 0)).toBe('full');
    expect(cache.remember('c1', 'key-c', WINDOW_MS, 0)).toBe('full');
    expect(cache.remember('c1', 'key-c', 2 * WINDOW_MS, WINDOW_MS)).toBe('fresh');
  });

  it("forgets a proof it remembered, freeing its place and its key's share", () => {
    const cache = new DpopReplayCache({ maxEntries: 10, maxEntriesPerKey: 1 });
    expect(cache.remember('a1', 'key-a', WINDOW_MS, 0)).toBe('fresh');
    expect(cache.remember('a2', 'key-a', WINDOW_MS, 0)).toBe('over_quota');
    cache.forget('a1');
    expect(cache.size).toBe(0);
    expect(cache.remember('a1', 'key-a', WINDOW_MS, 0)).toBe('fresh');
    cache.forget('unknown');
    expect(cache.remember('a2', 'key-a', WINDOW_MS, 0)).toBe('over_quota');
  });
});
