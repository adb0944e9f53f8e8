import { SlidingWindow, type UsageEvent } from './sliding-window';
import type { Reservation, ReservationRequest, UsageSnapshotV1, UsageTracker } from './usage-tracker';

interface Held {
  subject: string;
  model: string;
  events: [UsageEvent, UsageEvent];
  atMs: number;
  settled: boolean;
}

/**
 * Usage counters in memory, per subject and per subject and model. The store of record is the
 * audit database: counters are rebuilt from it at start-up (see usage-ledger.ts).
 */
export class MemoryUsageTracker implements UsageTracker {
  private readonly subjects = new Map<string, SlidingWindow>();
  private readonly subjectModels = new Map<string, SlidingWindow>();
  private readonly held = new Map<string, Held>();

  /** @param reservationTtlMs how long an unreported reservation counts and can still be settled. */
  constructor(
    private readonly reservationTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the subject's counters and the same counters for this model. */
  snapshot(subject: string, model: string, nowMs: number): UsageSnapshotV1 {
    const counters = this.subjects.get(subject)?.counters(nowMs) ?? zero();
    const modelCounters = this.subjectModels.get(modelKey(subject, model))?.counters(nowMs) ?? zero();
    return { ...counters, model: modelCounters };
  }

  /** Counts an allowed decision and holds its tokens until it is settled, released or expires. */
  reserve(request: ReservationRequest): Reservation {
    this.expire(request.atMs);
    const events: [UsageEvent, UsageEvent] = [
      window(this.subjects, request.subject).add(request.atMs, request.tokens),
      window(this.subjectModels, modelKey(request.subject, request.model)).add(request.atMs, request.tokens),
    ];
    const held: Held = {
      subject: request.subject,
      model: request.model,
      events,
      atMs: request.atMs,
      settled: false,
    };
    this.held.set(request.decisionId, held);
    return { release: () => this.release(request.decisionId) };
  }

  /** Replaces a held reservation by the reported tokens; false when unknown, settled or expired. */
  settle(decisionId: string, tokens: number): boolean {
    const nowMs = this.now();
    const held = this.held.get(decisionId);
    if (!held || held.settled || nowMs - held.atMs > this.reservationTtlMs) return false;
    this.apply(held, { tokens }, nowMs);
    held.settled = true;
    return true;
  }

  /** Restores a decision read back from the store at start-up. */
  restore(entry: ReservationRequest & { settled: boolean }): void {
    const reservation = this.reserve(entry);
    void reservation;
    const held = this.held.get(entry.decisionId);
    if (held) held.settled = entry.settled;
  }

  private release(decisionId: string): void {
    const held = this.held.get(decisionId);
    if (!held) return;
    this.apply(held, { live: false }, this.now());
    this.held.delete(decisionId);
  }

  private apply(held: Held, change: { tokens?: number; live?: boolean }, nowMs: number): void {
    this.subjects.get(held.subject)?.update(held.events[0], change, nowMs);
    this.subjectModels.get(modelKey(held.subject, held.model))?.update(held.events[1], change, nowMs);
  }

  // Unreported reservations stop counting once they expire; reported ones simply age out.
  private expire(nowMs: number): void {
    for (const [id, held] of this.held) {
      if (nowMs - held.atMs <= this.reservationTtlMs) break; // insertion order is time order
      if (!held.settled) this.apply(held, { tokens: 0 }, nowMs);
      this.held.delete(id);
    }
  }
}

function window(map: Map<string, SlidingWindow>, key: string): SlidingWindow {
  let w = map.get(key);
  if (!w) map.set(key, (w = new SlidingWindow()));
  return w;
}

function modelKey(subject: string, model: string): string {
  return `${subject}\u0000${model}`;
}

function zero() {
  return { requests_last_minute: 0, tokens_last_hour: 0, tokens_last_day: 0 };
}
