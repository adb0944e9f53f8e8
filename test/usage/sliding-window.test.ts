import { DAY_MS, HOUR_MS, MINUTE_MS, SlidingWindow } from '../../src/usage/sliding-window';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

describe('SlidingWindow', () => {
  it('counts a request for exactly one minute after it, not until the end of a clock minute', () => {
    const w = new SlidingWindow();
    // Half a minute into a clock minute: a fixed bucket would drop it 30 s later, at 10:01:00.
    w.add(T0 + 30_000, 10);
    expect(w.counters(T0 + 30_000).requests_last_minute).toBe(1);
    expect(w.counters(T0 + 60_000 + 29_999).requests_last_minute).toBe(1);
    expect(w.counters(T0 + 90_000).requests_last_minute).toBe(0);
  });

  it('slides the minute event by event: each request leaves on its own', () => {
    const w = new SlidingWindow();
    for (let s = 0; s < 5; s++) w.add(T0 + s * 10_000, 0);
    expect(w.counters(T0 + 40_000).requests_last_minute).toBe(5);
    expect(w.counters(T0 + MINUTE_MS).requests_last_minute).toBe(4);
    expect(w.counters(T0 + MINUTE_MS + 10_000).requests_last_minute).toBe(3);
    expect(w.counters(T0 + MINUTE_MS + 40_000).requests_last_minute).toBe(0);
  });

  it('sums tokens over the last hour and the last day separately', () => {
    const w = new SlidingWindow();
    w.add(T0, 1000);
    w.add(T0 + 2 * HOUR_MS, 200);
    w.add(T0 + 2 * HOUR_MS + 30 * MINUTE_MS, 30);
    expect(w.counters(T0 + 2 * HOUR_MS + 30 * MINUTE_MS)).toEqual({
      requests_last_minute: 1,
      tokens_last_hour: 230,
      tokens_last_day: 1230,
    });
    // An hour after the second event it has left the hour, but not the day.
    expect(w.counters(T0 + 3 * HOUR_MS)).toEqual({
      requests_last_minute: 0,
      tokens_last_hour: 30,
      tokens_last_day: 1230,
    });
    expect(w.counters(T0 + DAY_MS)).toMatchObject({ tokens_last_day: 230 });
    expect(w.counters(T0 + DAY_MS + 3 * HOUR_MS)).toMatchObject({ tokens_last_hour: 0, tokens_last_day: 0 });
  });

  it('keeps the running sums equal to a recount from scratch over a long, uneven history', () => {
    const w = new SlidingWindow();
    const events: { at: number; tokens: number }[] = [];
    let now = T0;
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      now += Math.floor(random() * 3 * 60_000); // bursts and gaps, 0 to 3 minutes apart
      const tokens = Math.floor(random() * 5000);
      w.add(now, tokens);
      events.push({ at: now, tokens });
      if (i % 97 === 0) {
        const recount = (length: number) => events.filter((e) => e.at > now - length);
        expect(w.counters(now)).toEqual({
          requests_last_minute: recount(MINUTE_MS).length,
          tokens_last_hour: recount(HOUR_MS).reduce((sum, e) => sum + e.tokens, 0),
          tokens_last_day: recount(DAY_MS).reduce((sum, e) => sum + e.tokens, 0),
        });
      }
    }
    // Precondition of the recount: the history is much longer than a day, so events did leave.
    expect(now - T0).toBeGreaterThan(3 * DAY_MS);
  });

  it('replaces an event’s tokens in every window that still holds it', () => {
    const w = new SlidingWindow();
    const ref = w.add(T0, 4096);
    expect(w.counters(T0 + 1000)).toMatchObject({ tokens_last_hour: 4096, tokens_last_day: 4096 });
    w.setTokens(ref, 1500, T0 + 1000);
    expect(w.counters(T0 + 1000)).toEqual({
      requests_last_minute: 1,
      tokens_last_hour: 1500,
      tokens_last_day: 1500,
    });
    // After the hour, only the day still holds it, and only the day changes.
    w.setTokens(ref, 2000, T0 + 2 * HOUR_MS);
    expect(w.counters(T0 + 2 * HOUR_MS)).toMatchObject({ tokens_last_hour: 0, tokens_last_day: 2000 });
    // Once it left the day a change is ignored instead of corrupting the sums.
    w.setTokens(ref, 9999, T0 + DAY_MS + 1);
    expect(w.counters(T0 + DAY_MS + 1)).toMatchObject({ tokens_last_hour: 0, tokens_last_day: 0 });
  });

  it('removes an event from the request count and from both token sums', () => {
    const w = new SlidingWindow();
    w.add(T0, 100);
    const ref = w.add(T0 + 1, 4096);
    expect(w.counters(T0 + 2)).toEqual({
      requests_last_minute: 2,
      tokens_last_hour: 4196,
      tokens_last_day: 4196,
    });
    w.remove(ref, T0 + 2);
    expect(w.counters(T0 + 2)).toEqual({
      requests_last_minute: 1,
      tokens_last_hour: 100,
      tokens_last_day: 100,
    });
    // When a removed event leaves the windows later, it is not subtracted a second time.
    expect(w.counters(T0 + DAY_MS + 10)).toEqual({
      requests_last_minute: 0,
      tokens_last_hour: 0,
      tokens_last_day: 0,
    });
    w.remove(ref, T0 + DAY_MS + 10);
    expect(w.counters(T0 + DAY_MS + 10).tokens_last_day).toBe(0);
  });

  it('never lets a clock that steps back bring events back or drop new ones early', () => {
    const w = new SlidingWindow();
    w.add(T0, 10);
    expect(w.counters(T0 + 2 * MINUTE_MS).requests_last_minute).toBe(0);
    // The clock steps back 90 s: the old event stays out of the minute.
    expect(w.counters(T0 + 30_000).requests_last_minute).toBe(0);
    // An event stamped in the past is counted as of the latest time seen, for a full minute from then.
    w.add(T0 + 30_000, 20);
    expect(w.counters(T0 + 30_000)).toMatchObject({ requests_last_minute: 1, tokens_last_hour: 30 });
    expect(w.counters(T0 + 2 * MINUTE_MS + 59_999).requests_last_minute).toBe(1);
    expect(w.counters(T0 + 3 * MINUTE_MS).requests_last_minute).toBe(0);
  });

  it('keeps only the last day in memory, and gives memory back when traffic falls', () => {
    const w = new SlidingWindow();
    // A busy day: one event a second.
    let now = T0;
    for (let i = 0; i < 86_400; i++) w.add((now += 1000), 1);
    expect(w.counters(now).tokens_last_day).toBe(86_400);
    expect(w.kept).toBe(86_400);
    // Then one event a minute for a day: the busy day's events leave and their memory with them.
    for (let i = 0; i < 1440; i++) w.add((now += MINUTE_MS), 1);
    expect(w.counters(now).tokens_last_day).toBe(1440);
    expect(w.kept).toBeLessThan(4 * 1440);
    expect(w.isEmpty(now)).toBe(false);
    expect(w.isEmpty(now + DAY_MS)).toBe(true);
  });
});
