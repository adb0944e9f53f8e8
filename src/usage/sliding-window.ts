import type { UsageCounters } from './usage-tracker';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One counted event: an allowed decision and the tokens it holds (reserved, then reported). */
export interface UsageEvent {
  atMs: number;
  tokens: number;
  /** False once released: the decision was never recorded, so it must not count. */
  live: boolean;
}

/**
 * Exact sliding-window counters over time-ordered events: requests in the last minute,
 * tokens in the last hour and day. Each window keeps a running sum and a head index that
 * only moves forward, so reading and adding are O(1) amortised whatever the traffic.
 */
export class SlidingWindow {
  private events: UsageEvent[] = [];
  private minuteHead = 0;
  private hourHead = 0;
  private dayHead = 0;
  private requestsMinute = 0;
  private tokensHour = 0;
  private tokensDay = 0;
  // Time never runs backwards here: a clock step back would otherwise break the window sums.
  private lastNowMs = 0;

  /** Adds an event; events must arrive in time order (a clock step back is clamped). */
  add(atMs: number, tokens: number): UsageEvent {
    const last = this.events[this.events.length - 1];
    const event: UsageEvent = { atMs: last && last.atMs > atMs ? last.atMs : atMs, tokens, live: true };
    this.events.push(event);
    this.requestsMinute += 1;
    this.tokensHour += tokens;
    this.tokensDay += tokens;
    return event;
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

  /** Changes an event's tokens (a usage report), or removes it (a release), keeping the sums exact. */
  update(event: UsageEvent, change: { tokens?: number; live?: boolean }, requestedNowMs: number): void {
    const nowMs = this.advance(requestedNowMs);
    const inHour = event.atMs > nowMs - HOUR;
    const inDay = event.atMs > nowMs - DAY;
    const inMinute = event.atMs > nowMs - MINUTE;
    const oldTokens = event.live ? event.tokens : 0;
    const newTokens = (change.live ?? event.live) ? (change.tokens ?? event.tokens) : 0;
    if (inHour) this.tokensHour += newTokens - oldTokens;
    if (inDay) this.tokensDay += newTokens - oldTokens;
    if (inMinute && event.live && change.live === false) this.requestsMinute -= 1;
    if (change.tokens !== undefined) event.tokens = change.tokens;
    if (change.live !== undefined) event.live = change.live;
  }

  /** Returns whether the window holds nothing any more (the subject can be forgotten). */
  isEmpty(nowMs: number): boolean {
    this.advance(nowMs);
    return this.dayHead >= this.events.length;
  }

  private advance(requestedNowMs: number): number {
    const nowMs = Math.max(requestedNowMs, this.lastNowMs);
    this.lastNowMs = nowMs;
    this.minuteHead = this.drop(
      this.minuteHead,
      nowMs - MINUTE,
      (e) => (this.requestsMinute -= e.live ? 1 : 0),
    );
    this.hourHead = this.drop(this.hourHead, nowMs - HOUR, (e) => (this.tokensHour -= e.live ? e.tokens : 0));
    this.dayHead = this.drop(this.dayHead, nowMs - DAY, (e) => (this.tokensDay -= e.live ? e.tokens : 0));
    // Compact once the day window has moved past half the array, so memory follows the last day only.
    if (this.dayHead > 1024 && this.dayHead * 2 > this.events.length) {
      const cut = this.dayHead;
      this.events = this.events.slice(cut);
      this.dayHead -= cut;
      this.hourHead -= cut;
      this.minuteHead -= cut;
    }
    return nowMs;
  }

  private drop(head: number, cutoffMs: number, onDrop: (e: UsageEvent) => void): number {
    let i = head;
    while (i < this.events.length && this.events[i]!.atMs <= cutoffMs) onDrop(this.events[i++]!);
    return i;
  }
}
