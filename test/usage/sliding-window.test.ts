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

  it('settles a held reservation in every window that still holds it', () => {
    const w = new SlidingWindow();
    w.add(T0, 4096, true);
    w.add(T0 + 1, 300, true);
    w.add(T0 + 2, 700, true);
    expect(w.counters(T0 + 1000)).toMatchObject({ tokens_last_hour: 5096, tokens_last_day: 5096 });
    expect(w.heldAt(T0 + 1000)).toBe(3);
    expect(w.settle(T0, 4096, 1500, T0 + 1000)).toBe(true);
    expect(w.counters(T0 + 1000)).toEqual({
      requests_last_minute: 3,
      tokens_last_hour: 2500,
      tokens_last_day: 2500,
    });
    // Settled once: no reservation of those tokens is left to settle.
    expect(w.heldAt(T0 + 1000)).toBe(2);
    expect(w.settle(T0, 4096, 10, T0 + 1000)).toBe(false);
    // After the hour, only the day still holds a reservation settled then, and only the day changes.
    expect(w.settle(T0, 300, 2000, T0 + 2 * HOUR_MS)).toBe(true);
    expect(w.counters(T0 + 2 * HOUR_MS)).toMatchObject({ tokens_last_hour: 0, tokens_last_day: 4200 });
    // Once it left the day nothing is held, so nothing is settled and the sums stay right.
    expect(w.settle(T0, 700, 9999, T0 + DAY_MS + 10)).toBe(false);
    expect(w.counters(T0 + DAY_MS + 10)).toMatchObject({ tokens_last_hour: 0, tokens_last_day: 0 });
    expect(w.heldAt(T0 + DAY_MS + 10)).toBe(0);
  });

  it('finds a reservation by its tokens at or after its decision’s time, and only held ones', () => {
    const w = new SlidingWindow();
    w.add(T0 - 5, 4096, true); // an earlier decision's reservation: before the time asked for
    w.add(T0 + 3, 100); // reported already (not held)
    w.add(T0 + 4, 4096); // reported already, with the same tokens
    w.add(T0 + 7, 2048, true);
    w.add(T0 + 9, 4096, true); // the one: the decision was received at T0, reserved at T0 + 9
    expect(w.settle(T0, 4096, 1, T0 + 10)).toBe(true);
    expect(w.counters(T0 + 10).tokens_last_day).toBe(4096 + 100 + 4096 + 2048 + 1);
    // Reserved tokens that nothing held matches: nothing changes.
    expect(w.settle(T0, 999, 1, T0 + 10)).toBe(false);
    // A reservation made more than ten minutes after its decision's time is not looked for.
    w.add(T0 + 11 * MINUTE_MS, 50, true);
    expect(w.settle(T0, 50, 1, T0 + 11 * MINUTE_MS)).toBe(false);
    expect(w.heldAt(T0 + 11 * MINUTE_MS)).toBe(3);
  });

  it('stops counting a held reservation’s tokens once its hold expires, and only a held one’s', () => {
    const w = new SlidingWindow(10 * MINUTE_MS);
    w.add(T0, 4096, true);
    w.add(T0 + 1, 500);
    expect(w.counters(T0 + 10 * MINUTE_MS).tokens_last_day).toBe(4596);
    expect(w.counters(T0 + 10 * MINUTE_MS + 1)).toEqual({
      requests_last_minute: 0,
      tokens_last_hour: 500,
      tokens_last_day: 500,
    });
    expect(w.heldAt(T0 + 10 * MINUTE_MS + 1)).toBe(0);
    // Expired, it can no longer be settled.
    expect(w.settle(T0, 4096, 1, T0 + 10 * MINUTE_MS + 1)).toBe(false);
    expect(w.settle(T0, 0, 1, T0 + 10 * MINUTE_MS + 1)).toBe(false);
  });

  it('keeps held reservations through compaction: settles and expiry still find them', () => {
    const w = new SlidingWindow(2 * HOUR_MS);
    let now = T0;
    const heldAt: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      now += 10_000;
      const held = i % 3 === 0;
      w.add(now, 10, held);
      if (held) heldAt.push(now);
    }
    // Events older than a day were dropped and the arrays compacted; the reservations of the last two hours hold.
    const recent = heldAt.filter((at) => at >= now - 2 * HOUR_MS);
    const expired = heldAt.filter((at) => at < now - 2 * HOUR_MS && at > now - DAY_MS);
    expect(w.heldAt(now)).toBe(recent.length);
    expect(w.counters(now).tokens_last_day).toBe((8640 - expired.length) * 10);
    expect(w.settle(recent[0]!, 10, 1, now)).toBe(true);
    expect(w.heldAt(now)).toBe(recent.length - 1);
    expect(w.counters(now).tokens_last_day).toBe((8640 - expired.length) * 10 - 9);
  });

  it('removes an event from the request count and from both token sums', () => {
    const w = new SlidingWindow();
    w.add(T0, 100);
    const ref = w.add(T0 + 1, 4096, true);
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
    // A removed reservation is no longer held: no report can bring it back.
    expect(w.heldAt(T0 + 2)).toBe(0);
    expect(w.settle(T0, 4096, 1, T0 + 2)).toBe(false);
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
