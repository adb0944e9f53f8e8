import type { UsageCounters } from './usage-tracker';

/** Length of the request-rate window. */
export const MINUTE_MS = 60_000;
/** Length of the short token window. */
export const HOUR_MS = 60 * MINUTE_MS;
/** Length of the budget window; nothing older is kept. */
export const DAY_MS = 24 * HOUR_MS;

const INITIAL_CAPACITY = 8;
// An event's columns: time and tokens (8 bytes each), live and held (1 byte each).
const EVENT_BYTES = 18;
// How long after its decision was received a reservation can have been made: a settle looks no further. A
// decision takes milliseconds; this only bounds the search when the reservation is not there to be found.
const RESERVE_WITHIN_MS = 10 * MINUTE_MS;

/**
 * Exact sliding-window counters over time-ordered events (one per allowed decision): requests in
 * the last minute, tokens in the last hour and day. No fixed buckets: an event counts for exactly
 * 60 s, 1 h and 24 h after it happened. Each window keeps a running sum and a head that only moves
 * forward, so reading and adding are O(1) amortised whatever the traffic.
 *
 * Events live in parallel typed arrays (18 bytes each) rather than one object per event: a busy
 * service holds a day of decisions, and objects would cost several times the memory and GC time.
 * An event is addressed by its absolute number (what `add` returns), which survives compaction.
 *
 * An unreported reservation is an event marked held: it is settled by finding it again (its time and
 * tokens, see settle), not through a map from its decision's id, so it costs no more memory than a
 * reported one, and it stops counting its tokens once `holdMs` has passed.
 */
export class SlidingWindow {
  private times: Float64Array;
  private tokens: Float64Array;
  // 1 while the event counts, 0 once released (its decision was never recorded).
  private live: Uint8Array;
  // 1 while the event is a reservation not yet reported (nor expired, nor released).
  private held: Uint8Array;
  private heldCount = 0;
  /** Absolute number of the event at index 0. */
  private base = 0;
  private end = 0;
  // Indexes of the first event inside each window; everything before dayHead is dead.
  private minuteHead = 0;
  private hourHead = 0;
  private dayHead = 0;
  // Index of the first held event whose reservation has not yet expired (as far as advance has looked).
  private expiryHead = 0;
  private requestsMinute = 0;
  private tokensHour = 0;
  private tokensDay = 0;
  // Time never runs backwards here: a clock stepped back would otherwise break the window sums.
  private lastNowMs = -Infinity;

  /** @param holdMs how long an unreported reservation counts its tokens (the reservation TTL). */
  constructor(private readonly holdMs: number = DAY_MS) {
    const columns = eventColumns(INITIAL_CAPACITY);
    this.times = columns.times;
    this.tokens = columns.tokens;
    this.live = columns.live;
    this.held = columns.held;
  }

  /**
   * Adds an event and returns its reference; `held` marks an unreported reservation. A time before the
   * window's latest (clock step back, a decision that reserved after a later one) is clamped to it.
   */
  add(atMs: number, tokens: number, held = false): number {
    const at = Math.max(atMs, this.lastNowMs, this.end > 0 ? this.times[this.end - 1]! : -Infinity);
    if (this.end === this.times.length) this.makeRoom();
    const i = this.end++;
    this.times[i] = at;
    this.tokens[i] = tokens;
    this.live[i] = 1;
    this.held[i] = held ? 1 : 0;
    if (held) this.heldCount += 1;
    this.requestsMinute += 1;
    this.tokensHour += tokens;
    this.tokensDay += tokens;
    return this.base + i;
  }

  /** Returns the counters as of `nowMs`, dropping what fell out of each window. */
  counters(nowMs: number): UsageCounters {
    this.advance(nowMs);
    return {
      requests_last_minute: this.requestsMinute,
      tokens_last_hour: this.tokensHour,
      tokens_last_day: this.tokensDay,
    };
  }

  /**
   * Replaces the tokens of an unreported reservation of `reserved` tokens, the first one made at or after
   * `fromMs` (when its decision was received), by `tokens`; returns false if there is none. Two held
   * reservations of equal tokens made in the same span are interchangeable to every counter, so finding
   * another's first changes nothing but, by the milliseconds between them, when those tokens leave a window;
   * its own report then finds the other one.
   */
  settle(fromMs: number, reserved: number, tokens: number, nowMs: number): boolean {
    this.advance(nowMs);
    const { times, held, end } = this;
    for (
      let i = this.firstAt(fromMs), until = fromMs + RESERVE_WITHIN_MS;
      i < end && times[i]! <= until;
      i++
    ) {
      if (held[i] === 1 && this.tokens[i] === reserved) {
        this.unhold(i);
        this.setTokensAt(i, tokens);
        return true;
      }
    }
    return false;
  }

  /** Removes an event (its decision was not recorded), so it counts neither as a request nor in tokens. */
  remove(ref: number, nowMs: number): void {
    this.advance(nowMs);
    const i = ref - this.base;
    if (i < this.dayHead || i >= this.end || this.live[i] === 0) return;
    if (this.held[i] === 1) this.unhold(i);
    // Its tokens leave the sums as a settle to zero would take them; then it stops counting as a request.
    this.setTokensAt(i, 0);
    this.live[i] = 0;
    if (i >= this.minuteHead) this.requestsMinute -= 1;
  }

  /** Returns whether no event of the last day remains (the window can be forgotten). */
  isEmpty(nowMs: number): boolean {
    // The newest event decides, so an idle window is recognised without walking its events.
    return this.end === 0 || this.times[this.end - 1]! <= Math.max(nowMs, this.lastNowMs) - DAY_MS;
  }

  /** Returns how many events are kept (those of the last day, plus dead ones awaiting compaction). */
  get kept(): number {
    return this.end;
  }

  /** Returns how many unreported reservations still count their tokens, as of `nowMs`. */
  heldAt(nowMs: number): number {
    this.advance(nowMs);
    return this.heldCount;
  }

  // The first event at or after `atMs` among those of the day (binary search: times are in order).
  private firstAt(atMs: number): number {
    let lo = this.dayHead;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private setTokensAt(i: number, tokens: number): void {
    const delta = tokens - this.tokens[i]!;
    this.tokens[i] = tokens;
    this.tokensDay += delta;
    if (i >= this.hourHead) this.tokensHour += delta;
  }

  private unhold(i: number): void {
    this.held[i] = 0;
    this.heldCount -= 1;
  }

  private advance(requestedNowMs: number): void {
    const nowMs = Math.max(requestedNowMs, this.lastNowMs);
    this.lastNowMs = nowMs;
    const { times, tokens, live, held, end } = this;
    // An event is inside a window while at > now - length: at exactly 60 s it has left the minute.
    let i = this.minuteHead;
    for (const cutoff = nowMs - MINUTE_MS; i < end && times[i]! <= cutoff; i++)
      this.requestsMinute -= live[i]!;
    this.minuteHead = i;
    i = this.hourHead;
    for (const cutoff = nowMs - HOUR_MS; i < end && times[i]! <= cutoff; i++) {
      this.tokensHour -= live[i]! * tokens[i]!;
    }
    this.hourHead = i;
    i = this.dayHead;
    for (const cutoff = nowMs - DAY_MS; i < end && times[i]! <= cutoff; i++) {
      this.tokensDay -= live[i]! * tokens[i]!;
      // Gone from every window: a report could change nothing any more.
      if (held[i] === 1) this.unhold(i);
    }
    this.dayHead = i;
    // An unreported reservation stops counting its tokens once it is older than its hold (the request
    // still counts); at exactly holdMs it still counts.
    i = Math.max(this.expiryHead, this.dayHead);
    for (const cutoff = nowMs - this.holdMs; i < end && times[i]! < cutoff; i++) {
      if (held[i] === 1) {
        this.unhold(i);
        this.setTokensAt(i, 0);
      }
    }
    this.expiryHead = i;
    // A window whose traffic fell gives back its memory instead of keeping its busiest day's arrays.
    const kept = end - this.dayHead;
    if (this.times.length > 1024 && kept * 4 < this.times.length)
      this.moveTo(Math.max(INITIAL_CAPACITY, kept * 2));
  }

  // The arrays are full. Shifting the day's events to the front is enough while that frees a third of
  // them; otherwise the arrays double. Either way the copying is amortised O(1) per event, and
  // allocations (each one external memory the GC must account for) stay rare.
  private makeRoom(): void {
    const kept = this.end - this.dayHead;
    const capacity = this.times.length;
    this.moveTo((kept + 1) * 3 <= capacity * 2 ? capacity : Math.max(INITIAL_CAPACITY, (kept + 1) * 2));
  }

  // Moves the events still in the day to the front of arrays of `capacity` events.
  private moveTo(capacity: number): void {
    const from = this.dayHead;
    const count = this.end - from;
    if (capacity === this.times.length) {
      this.times.copyWithin(0, from, this.end);
      this.tokens.copyWithin(0, from, this.end);
      this.live.copyWithin(0, from, this.end);
      this.held.copyWithin(0, from, this.end);
    } else {
      const columns = eventColumns(capacity);
      this.times = copyInto(columns.times, this.times, from, count);
      this.tokens = copyInto(columns.tokens, this.tokens, from, count);
      this.live = copyInto(columns.live, this.live, from, count);
      this.held = copyInto(columns.held, this.held, from, count);
    }
    this.base += from;
    this.end = count;
    this.minuteHead -= from;
    this.hourHead -= from;
    this.expiryHead = Math.max(this.expiryHead - from, 0);
    this.dayHead = 0;
  }
}

/**
 * The four columns of `capacity` events as views of one buffer: a window is mostly small (a subject with a few
 * decisions a day), and each buffer of its own costs a few hundred bytes of bookkeeping beside its contents.
 */
function eventColumns(capacity: number): {
  times: Float64Array;
  tokens: Float64Array;
  live: Uint8Array;
  held: Uint8Array;
} {
  const buffer = new ArrayBuffer(capacity * EVENT_BYTES);
  return {
    times: new Float64Array(buffer, 0, capacity),
    tokens: new Float64Array(buffer, capacity * 8, capacity),
    live: new Uint8Array(buffer, capacity * 16, capacity),
    held: new Uint8Array(buffer, capacity * 17, capacity),
  };
}

function copyInto<T extends Float64Array | Uint8Array>(target: T, source: T, from: number, count: number): T {
  target.set(source.subarray(from, from + count));
  return target;
}
