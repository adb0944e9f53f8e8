import { SlidingWindow } from './sliding-window';
import type {
  Reservation,
  ReservationRequest,
  UsageCounters,
  UsageSnapshotV1,
  UsageTracker,
} from './usage-tracker';

/** The windows of one subject: all its decisions, and its decisions per model. */
interface SubjectUsage {
  all: SlidingWindow;
  models: Map<string, SlidingWindow>;
}

/** An unreported reservation: where its two events are, and when it was made. */
interface Held {
  decisionId: string;
  /** Set once settled or released, so the expiry queue skips it. */
  done: boolean;
  all: SlidingWindow;
  allRef: number;
  model: SlidingWindow;
  modelRef: number;
  atMs: number;
}

/** A decision read back from the store at start-up. */
export interface RestoredDecision extends ReservationRequest {
  /** True while the reservation is unreported: it can still be settled, and it expires. */
  pending: boolean;
}

/** What the tracker holds, for benchmarks and tests of memory growth. */
export interface UsageTrackerStats {
  subjects: number;
  windows: number;
  events: number;
  pendingReservations: number;
}

// Every subject is checked for idleness about this often, a few per reservation, so that no single
// decision pays for a sweep of the whole map and a busy service spends almost nothing on it.
const SWEEP_PERIOD_MS = 60 * 60_000;
// The most subjects one reservation checks, however long the service was quiet.
const SWEEP_MAX_STEP = 16;

/**
 * Usage counters in memory, per subject and per subject and model. The store of record is the
 * audit database: counters are rebuilt from it at start-up (see usage-ledger.ts).
 */
export class MemoryUsageTracker implements UsageTracker {
  private readonly subjects = new Map<string, SubjectUsage>();
  private readonly held = new Map<string, Held>();
  // Pending reservations oldest first, so expiry only ever looks at the front. Not the Map's own
  // order: iterating a Map from its start also walks the holes deletions leave, which grows without bound.
  private queue: Held[] = [];
  private queueHead = 0;
  private queueDone = 0;
  private sweeper: Iterator<[string, SubjectUsage]> | undefined;
  private sweepCredit = 0;
  private sweptAtMs = -Infinity;
  // The most subjects seen during the current pass: it sets the pace, which must not slow down just
  // because the pass already forgot some.
  private sweepPassSize = 0;

  /**
   * @param reservationTtlMs how long an unreported reservation counts and can still be settled.
   * @param now the clock for releases, which carry no time of their own.
   */
  constructor(
    private readonly reservationTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the subject's counters and the same counters for this model. */
  snapshot(subject: string, model: string, nowMs: number): UsageSnapshotV1 {
    this.expire(nowMs);
    const usage = this.subjects.get(subject);
    const all = usage ? usage.all.counters(nowMs) : zero();
    const forModel = usage?.models.get(model)?.counters(nowMs) ?? zero();
    return {
      requests_last_minute: all.requests_last_minute,
      tokens_last_hour: all.tokens_last_hour,
      tokens_last_day: all.tokens_last_day,
      model: forModel,
    };
  }

  /** Counts an allowed decision and holds its tokens until it is settled, released or expires. */
  reserve(request: ReservationRequest): Reservation {
    this.expire(request.atMs);
    this.sweep(request.atMs);
    this.hold(request);
    return new HeldReservation(this, request.decisionId);
  }

  /** Replaces a held reservation by the reported tokens; false when unknown, settled or expired. */
  settle(decisionId: string, tokens: number, nowMs: number): boolean {
    this.expire(nowMs);
    const held = this.held.get(decisionId);
    if (!held) return false;
    this.forget(held);
    held.all.setTokens(held.allRef, tokens, nowMs);
    held.model.setTokens(held.modelRef, tokens, nowMs);
    return true;
  }

  /** Withdraws an unsettled reservation entirely: its decision was never recorded. */
  release(decisionId: string): void {
    const held = this.held.get(decisionId);
    if (!held) return;
    this.forget(held);
    const nowMs = this.now();
    held.all.remove(held.allRef, nowMs);
    held.model.remove(held.modelRef, nowMs);
  }

  /**
   * Restores a decision read back from the store at start-up; decisions must come oldest first.
   * A pending reservation older than the TTL is restored as already expired.
   */
  restore(decision: RestoredDecision, nowMs: number): void {
    if (decision.pending && nowMs - decision.atMs <= this.reservationTtlMs) {
      this.hold(decision);
      return;
    }
    const tokens = decision.pending ? 0 : decision.tokens;
    const { all, model } = this.windows(decision.subject, decision.model);
    all.add(decision.atMs, tokens);
    model.add(decision.atMs, tokens);
  }

  /** Returns how many subjects, windows, events and pending reservations are held in memory. */
  stats(): UsageTrackerStats {
    let windows = 0;
    let events = 0;
    for (const usage of this.subjects.values()) {
      windows += 1 + usage.models.size;
      events += usage.all.kept;
      for (const w of usage.models.values()) events += w.kept;
    }
    return { subjects: this.subjects.size, windows, events, pendingReservations: this.held.size };
  }

  private hold(request: ReservationRequest): void {
    const { all, model } = this.windows(request.subject, request.model);
    const held: Held = {
      decisionId: request.decisionId,
      done: false,
      all,
      allRef: all.add(request.atMs, request.tokens),
      model,
      modelRef: model.add(request.atMs, request.tokens),
      atMs: request.atMs,
    };
    this.held.set(request.decisionId, held);
    this.queue.push(held);
  }

  private windows(subject: string, model: string): { all: SlidingWindow; model: SlidingWindow } {
    let usage = this.subjects.get(subject);
    if (!usage) this.subjects.set(subject, (usage = { all: new SlidingWindow(), models: new Map() }));
    let forModel = usage.models.get(model);
    if (!forModel) usage.models.set(model, (forModel = new SlidingWindow()));
    return { all: usage.all, model: forModel };
  }

  // An unreported reservation stops counting its tokens once it expires (the request still counts).
  private expire(nowMs: number): void {
    const { queue } = this;
    let head = this.queueHead;
    for (; head < queue.length && nowMs - queue[head]!.atMs > this.reservationTtlMs; head++) {
      const held = queue[head]!;
      if (held.done) {
        this.queueDone -= 1;
        continue;
      }
      this.held.delete(held.decisionId);
      held.all.setTokens(held.allRef, 0, nowMs);
      held.model.setTokens(held.modelRef, 0, nowMs);
    }
    this.queueHead = head;
    if (head > 1024 && head * 2 > queue.length) {
      this.queue = queue.slice(head);
      this.queueHead = 0;
    }
  }

  // A settled or released reservation leaves the map at once; the queue drops it lazily, and is
  // rebuilt once mostly done entries remain, so reported reservations do not wait a TTL to be freed.
  private forget(held: Held): void {
    held.done = true;
    this.held.delete(held.decisionId);
    this.queueDone += 1;
    const waiting = this.queue.length - this.queueHead;
    if (this.queueDone > 1024 && this.queueDone * 2 > waiting) {
      this.queue = this.queue.slice(this.queueHead).filter((h) => !h.done);
      this.queueHead = 0;
      this.queueDone = 0;
    }
  }

  // Forgets subjects (and models) with nothing left in the last day, a few per call, so that
  // identities seen once do not stay in memory forever. A pending reservation keeps its own
  // reference to its windows, so forgetting one is always safe.
  private sweep(nowMs: number): void {
    const elapsed = Math.min(Math.max(nowMs - this.sweptAtMs, 0), SWEEP_PERIOD_MS);
    this.sweptAtMs = Math.max(nowMs, this.sweptAtMs);
    if (!this.sweeper) {
      if (this.subjects.size === 0) return;
      this.sweeper = this.subjects.entries();
      this.sweepPassSize = this.subjects.size;
    }
    this.sweepPassSize = Math.max(this.sweepPassSize, this.subjects.size);
    const credit = this.sweepCredit + (this.sweepPassSize * elapsed) / SWEEP_PERIOD_MS;
    this.sweepCredit = Math.min(credit, SWEEP_MAX_STEP);
    for (; this.sweepCredit >= 1; this.sweepCredit -= 1) {
      const next = this.sweeper.next();
      if (next.done) {
        this.sweeper = undefined;
        this.sweepCredit = 0;
        return;
      }
      const [subject, usage] = next.value;
      if (usage.all.isEmpty(nowMs)) {
        this.subjects.delete(subject);
        continue;
      }
      for (const [model, w] of usage.models) if (w.isEmpty(nowMs)) usage.models.delete(model);
    }
  }
}

// A class rather than a closure per decision: reservations are made on the hot path.
class HeldReservation implements Reservation {
  constructor(
    private readonly tracker: MemoryUsageTracker,
    private readonly decisionId: string,
  ) {}

  release(): void {
    this.tracker.release(this.decisionId);
  }
}

function zero(): UsageCounters {
  return { requests_last_minute: 0, tokens_last_hour: 0, tokens_last_day: 0 };
}
