import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryUsageTracker } from '../../src/usage/memory-usage-tracker';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/usage/sliding-window';
import type { ReservationRequest, ReservedDecision } from '../../src/usage/usage-tracker';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const BOT = 'spiffe://corp/data/doc-summarizer';
const HAIKU = 'anthropic.claude-haiku';
const SONNET = 'anthropic.claude-sonnet';

/** The decision of a reservation as its report finds it (received when it reserved). */
function reported({ subject, model, tokens, atMs }: ReservationRequest): ReservedDecision {
  return { subject, model, tokens, atMs };
}

/** A tracker on a clock the test moves by hand; settle(id, ...) reports decision `id` as the ledger does. */
function trackerAt(ttlMs = 10 * MINUTE_MS) {
  const clock = { now: T0 };
  const tracker = new MemoryUsageTracker(ttlMs, () => clock.now);
  const made = new Map<string, ReservedDecision>();
  let n = 0;
  const reserve = (tokens: number, model = HAIKU, subject = BOT) => {
    const request = { decisionId: `d-${++n}`, subject, model, tokens, atMs: clock.now };
    made.set(request.decisionId, reported(request));
    return tracker.reserve(request);
  };
  const settle = (id: string, tokens: number, nowMs: number) =>
    tracker.settlement(made.get(id) ?? { subject: BOT, model: HAIKU, tokens: 1, atMs: T0 })(tokens, nowMs);
  return { tracker, clock, reserve, settle, lastId: () => `d-${n}` };
}

/** Returns V8's gc(), which a context made after the flag is set exposes. */
function exposedGc(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

describe('MemoryUsageTracker', () => {
  it('keeps no garbage alive while a busy subject decides, with paging on (the LRU order moves every call)', () => {
    const gc = exposedGc();
    const { tracker, clock } = trackerAt(DAY_MS);
    tracker.enablePaging({ maxSubjects: 1000, load: () => {} });
    let n = 0;
    // A decision reported at once: nothing stays pending, only the windows' events (typed arrays) grow.
    const decide = (): void => {
      clock.now += 1;
      tracker.snapshot(BOT, HAIKU, clock.now);
      const request = { decisionId: `d-${++n}`, subject: BOT, model: HAIKU, tokens: 10, atMs: clock.now };
      tracker.reserve(request).recorded?.();
      tracker.settlement(reported(request))(5, clock.now);
    };
    for (let i = 0; i < 1000; i++) decide();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i++) decide();
    gc();
    // A sweep that held a Map iterator kept every hash table the LRU reordering made: about 58 MB here.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    expect(tracker.stats()).toMatchObject({ subjects: 1, pendingReservations: 0 });
  });

  it('counts reservations per subject and, separately, per subject and model', () => {
    const { tracker, reserve } = trackerAt();
    reserve(1000, HAIKU);
    reserve(2000, SONNET);
    reserve(500, HAIKU, 'spiffe://corp/other');
    expect(tracker.snapshot(BOT, HAIKU, T0)).toEqual({
      requests_last_minute: 2,
      tokens_last_hour: 3000,
      tokens_last_day: 3000,
      model: { requests_last_minute: 1, tokens_last_hour: 1000, tokens_last_day: 1000 },
    });
    expect(tracker.snapshot(BOT, 'anthropic.claude-opus', T0).model).toEqual({
      requests_last_minute: 0,
      tokens_last_hour: 0,
      tokens_last_day: 0,
    });
  });

  it('replaces a reservation by the reported tokens, up or down', () => {
    const { tracker, clock, reserve, settle, lastId } = trackerAt();
    reserve(4096);
    const first = lastId();
    reserve(4096);
    const second = lastId();
    clock.now += 5000;
    expect(tracker.snapshot(BOT, HAIKU, clock.now).tokens_last_day).toBe(8192);
    expect(settle(first, 1500, clock.now)).toBe(true);
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({
      tokens_last_day: 1500 + 4096,
      model: { tokens_last_day: 1500 + 4096 },
    });
    expect(settle(second, 6000, clock.now)).toBe(true);
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({
      requests_last_minute: 2,
      tokens_last_hour: 7500,
      tokens_last_day: 7500,
    });
  });

  it('settles a reservation only once', () => {
    const { tracker, reserve, settle, lastId } = trackerAt();
    reserve(4096);
    expect(settle(lastId(), 100, T0)).toBe(true);
    expect(settle(lastId(), 9000, T0)).toBe(false);
    expect(tracker.snapshot(BOT, HAIKU, T0).tokens_last_day).toBe(100);
    expect(settle('never-reserved', 1, T0)).toBe(false);
  });

  it('releases a reservation whose decision was not recorded: no request, no tokens', () => {
    const { tracker, reserve } = trackerAt();
    reserve(100);
    const reservation = reserve(4096);
    expect(tracker.snapshot(BOT, HAIKU, T0)).toMatchObject({
      requests_last_minute: 2,
      tokens_last_day: 4196,
    });
    reservation.release();
    expect(tracker.snapshot(BOT, HAIKU, T0)).toEqual({
      requests_last_minute: 1,
      tokens_last_hour: 100,
      tokens_last_day: 100,
      model: { requests_last_minute: 1, tokens_last_hour: 100, tokens_last_day: 100 },
    });
  });

  it('stops counting an unreported reservation’s tokens once it expires, even with no other traffic', () => {
    const { tracker, clock, reserve, settle, lastId } = trackerAt(10 * MINUTE_MS);
    reserve(4096);
    const id = lastId();
    clock.now = T0 + 10 * MINUTE_MS;
    expect(tracker.snapshot(BOT, HAIKU, clock.now).tokens_last_day).toBe(4096);
    // Only a read happens after the TTL: the subject may be denied and never reserve again.
    clock.now += 1;
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({
      tokens_last_hour: 0,
      tokens_last_day: 0,
      model: { tokens_last_day: 0 },
    });
    expect(settle(id, 1000, clock.now)).toBe(false);
    expect(tracker.stats().pendingReservations).toBe(0);
  });

  it('keeps reported tokens after the TTL: only unreported reservations expire', () => {
    const { tracker, clock, reserve, settle, lastId } = trackerAt(10 * MINUTE_MS);
    reserve(4096);
    settle(lastId(), 3000, T0 + 1000);
    reserve(4096);
    clock.now = T0 + HOUR_MS - 1;
    expect(tracker.snapshot(BOT, HAIKU, clock.now).tokens_last_hour).toBe(3000);
  });

  it('counts an expired reservation as a request for its minute all the same', () => {
    const { tracker, clock, reserve } = trackerAt(1000);
    reserve(4096);
    clock.now += 2000;
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({
      requests_last_minute: 1,
      tokens_last_day: 0,
    });
  });

  it('restores decisions read back from the store: reported, pending, and expired while down', () => {
    const ttl = 2 * HOUR_MS;
    const tracker = new MemoryUsageTracker(ttl, () => T0);
    const base = { subject: BOT, model: HAIKU };
    // Oldest first, as the ledger reads them.
    tracker.restore({ ...base, tokens: 7, atMs: T0 - DAY_MS, pending: false }, T0);
    tracker.restore({ ...base, tokens: 4096, atMs: T0 - 3 * HOUR_MS, pending: true }, T0);
    tracker.restore({ ...base, tokens: 900, atMs: T0 - 3 * HOUR_MS, pending: false }, T0);
    tracker.restore({ ...base, tokens: 4096, atMs: T0 - 30 * MINUTE_MS, pending: true }, T0);
    expect(tracker.snapshot(BOT, HAIKU, T0)).toMatchObject({
      tokens_last_hour: 4096,
      tokens_last_day: 900 + 4096,
    });
    // Only the reservation still inside its TTL can be settled.
    const settle = (atMs: number, tokens: number) =>
      tracker.settlement({ ...base, atMs, tokens: 4096 })(tokens, T0);
    expect(settle(T0 - 3 * HOUR_MS, 1)).toBe(false);
    expect(tracker.settlement({ ...base, atMs: T0 - 3 * HOUR_MS, tokens: 900 })(1, T0)).toBe(false);
    expect(settle(T0 - 30 * MINUTE_MS, 100)).toBe(true);
    expect(tracker.snapshot(BOT, HAIKU, T0).tokens_last_day).toBe(1000);
  });

  it('reads usage as of the latest time seen when the clock steps back', () => {
    const { tracker, clock, reserve } = trackerAt(DAY_MS);
    reserve(100);
    clock.now = T0 + 2 * MINUTE_MS;
    expect(tracker.snapshot(BOT, HAIKU, clock.now).requests_last_minute).toBe(0);
    clock.now = T0 + 30_000; // NTP stepped the clock back 90 s
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({
      requests_last_minute: 0,
      tokens_last_day: 100,
    });
    reserve(50);
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({
      requests_last_minute: 1,
      tokens_last_day: 150,
    });
  });

  it('forgets subjects and models idle for a day, so one-off identities do not stay in memory', () => {
    const { tracker, clock, reserve } = trackerAt(DAY_MS);
    for (let i = 0; i < 1000; i++) reserve(10, `model-${i % 3}`, `spiffe://corp/once/${i}`);
    expect(tracker.stats()).toMatchObject({ subjects: 1000, windows: 2000 });
    // A day later one subject calls twice a minute for 80 minutes; the sweep visits every subject
    // about once an hour, a few per reservation, and forgets the idle ones.
    clock.now += DAY_MS + 1;
    for (let i = 0; i < 160; i++) {
      clock.now += 30_000;
      reserve(10, i % 2 === 0 ? HAIKU : SONNET);
    }
    expect(tracker.stats()).toMatchObject({ subjects: 1, windows: 3 });
    expect(tracker.snapshot(BOT, HAIKU, clock.now)).toMatchObject({ tokens_last_day: 1600 });
    expect(tracker.snapshot('spiffe://corp/once/7', 'model-1', clock.now).tokens_last_day).toBe(0);
  });

  it('holds only pending reservations: settled ones are freed without waiting for the TTL', () => {
    const { tracker, reserve, settle, lastId } = trackerAt(DAY_MS);
    for (let i = 0; i < 5000; i++) {
      reserve(10);
      if (i % 10 !== 0) settle(lastId(), 5, T0);
    }
    expect(tracker.stats().pendingReservations).toBe(500);
    expect(tracker.snapshot(BOT, HAIKU, T0).tokens_last_day).toBe(500 * 10 + 4500 * 5);
  });
});
