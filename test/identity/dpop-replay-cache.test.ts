/**
 * The replay cache's bounds over time, with a clock the test moves: one proof key's share frees as its proofs
 * leave their window, and the whole cache stays first; and the checker keeps a proof for as long as it takes it.
 * Served refusals are in test/server/decide-dpop*.test.ts.
 */
import { DpopChecker } from '../../src/identity/dpop-checker';
import { DpopReplayCache } from '../../src/identity/dpop-replay-cache';
import { dpopConfirmation, dpopProof } from '../helpers/dpop';
import { generateEcKeyPair } from '../helpers/tokens';

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

describe('the DPoP checker over its replay window', () => {
  const PUBLIC = 'https://modelgate.test';
  const client = generateEcKeyPair();
  const jkt = dpopConfirmation(client).jkt;
  const accessToken = 'header.payload.signature';
  const startMs = 1_800_000_000_000;

  it('never takes one proof twice, even at the last instant it is still taken', async () => {
    let clockMs = startMs;
    const checker = new DpopChecker(
      { publicUrls: [PUBLIC], maxAgeSeconds: 60, clockSkewSeconds: 30 },
      () => clockMs,
    );
    // A client clock 30 s ahead (the skew allowed): the proof is taken as soon as it is made, at iat - skew.
    const proof = dpopProof({
      key: client,
      htm: 'POST',
      htu: `${PUBLIC}/v1/decide`,
      token: accessToken,
      iat: startMs / 1000 + 30,
    });
    const request = { proofs: [proof], method: 'POST', target: '/v1/decide', accessToken, jkt };
    await checker.check(request);
    await expect(checker.check(request)).rejects.toMatchObject({ code: 'dpop_proof_replayed' });
    // The last instant iat + max age + skew: the proof must still be remembered whenever it would still be taken.
    clockMs = startMs + (60 + 2 * 30) * 1000;
    await expect(checker.check(request)).rejects.toMatchObject({
      code: expect.stringMatching(/^dpop_proof_(replayed|stale)$/),
    });
    // Precondition: a proof made with that same iat is not too old a moment before that instant.
    clockMs -= 1;
    const fresh = dpopProof({
      key: client,
      htm: 'POST',
      htu: `${PUBLIC}/v1/decide`,
      token: accessToken,
      iat: startMs / 1000 + 30,
    });
    await expect(checker.check({ ...request, proofs: [fresh] })).resolves.toBeUndefined();
  });
});
