import { SlidingWindow } from './sliding-window';
import type {
  Reservation,
  ReservationRequest,
  ReservedDecision,
  Settle,
  UsageCounters,
  UsageSnapshotV1,
  UsageTracker,
} from './usage-tracker';

/**
 * The windows of one subject: all its decisions, and its decisions per model. Its unreported reservations
 * are events of these windows (see SlidingWindow), dropped with it when it is paged out (the ledger rebuilds them).
 */
interface SubjectUsage {
  subject: string;
  all: SlidingWindow;
  models: Map<string, SlidingWindow>;
  /** Reservations whose decision is not known to be durable yet: while any, it stays in memory. */
  inflight: number;
  reservedAtMs: number;
  /** Read back from the ledger while a report was being stored: page it out, to be read again, once idle. */
  reread: boolean;
}

/** The bound on subjects in memory unless configured: about 0.2 GB with a few decisions of the day each. */
export const DEFAULT_USAGE_MAX_SUBJECTS = 100_000;

/** How the tracker pages subjects out of memory and back in; see enablePaging. */
export interface UsagePaging {
  /** The most subjects held in memory. */
  maxSubjects: number;
  /** Rebuilds one subject's last day from the store of record (UsageLedger.restore(nowMs, subject)). */
  load(subject: string, nowMs: number): void;
}

/** A decision read back from the store at start-up (no id: a report finds its reservation without one). */
export interface RestoredDecision extends Omit<ReservationRequest, 'decisionId'> {
  /** True while the reservation is unreported: it can still be settled, and it expires. */
  pending: boolean;
}

/** What the tracker holds, for benchmarks and tests of memory growth. */
export interface UsageTrackerStats {
  subjects: number;
  windows: number;
  events: number;
  pendingReservations: number;
  /** Subjects paged out to make room, and subjects loaded back from the ledger, since start. */
  pagedOut: number;
  pagedIn: number;
}

// Every subject is checked for idleness about this often, a few per reservation, so that no single
// decision pays for a sweep of the whole map and a busy service spends almost nothing on it.
const SWEEP_PERIOD_MS = 60 * 60_000;
// The most subjects one reservation checks, however long the service was quiet.
const SWEEP_MAX_STEP = 16;
// A reservation never reported as recorded nor released (an error path that skipped both) stops
// pinning its subject after this long; a decision's audit commit takes milliseconds, not minutes.
const PIN_LIMIT_MS = 10 * 60_000;
// The most least-recently-used subjects one eviction looks at before giving up (all pinned).
const EVICT_MAX_STEP = 32;

/**
 * Usage counters in memory, per subject and per subject and model. The store of record is the
 * audit database: counters are rebuilt from it at start-up (see usage-ledger.ts).
 */
export class MemoryUsageTracker implements UsageTracker {
  private readonly subjects = new Map<string, SubjectUsage>();
  // The subjects of the current sweep pass, and how far it got. A copy of the keys, not an iterator over the
  // map: a live Map iterator keeps every hash table the map has had since it was made (V8 links each old table
  // to its successor for it), and the map is reordered on every decision (the LRU order), so an iterator that
  // lives for the hour a pass takes held about 300 bytes per decision.
  private sweepKeys: string[] | undefined;
  private sweepAt = 0;
  private sweepCredit = 0;
  private sweptAtMs = -Infinity;
  // The most subjects seen during the current pass: it sets the pace, which must not slow down just
  // because the pass already forgot some.
  private sweepPassSize = 0;
  private paging: UsagePaging | undefined;
  // Once a subject was paged out (or skipped at restore), a subject not in memory may have usage in
  // the ledger; before that, one not in memory has none, and nothing is read.
  private pagedOut = false;
  private loading: string | undefined;
  private evictions = 0;
  private loads = 0;

  /**
   * @param reservationTtlMs how long an unreported reservation counts and can still be settled.
   * @param now the clock for releases, which carry no time of their own.
   */
  constructor(
    private readonly reservationTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Bounds memory: beyond `maxSubjects` subjects, the least recently used one that has no decision
   * in flight is dropped, and read back through `load` when it is needed again, so budgets stay
   * exact. Call before restore(): a restore then stops adding subjects at the bound.
   */
  enablePaging(paging: UsagePaging): void {
    this.paging = paging;
  }

  /** Returns the subject's counters and the same counters for this model. */
  snapshot(subject: string, model: string, nowMs: number): UsageSnapshotV1 {
    const usage = this.usageOf(subject, nowMs);
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
    this.sweep(request.atMs);
    const { all, model, usage } = this.windows(request.subject, request.model, request.atMs);
    const allRef = all.add(request.atMs, request.tokens, true);
    const modelRef = model.add(request.atMs, request.tokens, true);
    usage.inflight += 1;
    usage.reservedAtMs = request.atMs;
    return new HeldReservation(this, usage, [all, allRef, model, modelRef]);
  }

  /**
   * Finds a reported decision's reservation: call it before the report is stored, and the Settle it returns
   * once it is. A subject read back from the ledger in between may or may not count the report already, so
   * then nothing is settled here and the subject is read again (paged out) as soon as no decision is in flight.
   */
  settlement(decision: ReservedDecision): Settle {
    const resident = this.subjects.get(decision.subject);
    return (tokens, nowMs) => {
      const usage = this.subjects.get(decision.subject);
      // Not in memory: the ledger reads the report with the rest when the subject is next needed.
      if (usage === undefined) return false;
      if (usage !== resident) {
        this.reread(usage, nowMs);
        return false;
      }
      const model = usage.models.get(decision.model);
      if (!model?.settle(decision.atMs, decision.tokens, tokens, nowMs)) return false;
      usage.all.settle(decision.atMs, decision.tokens, tokens, nowMs);
      return true;
    };
  }

  /** Withdraws a reservation entirely (its decision was never recorded): no request, no tokens. */
  withdraw([all, allRef, model, modelRef]: HeldEvents): void {
    const nowMs = this.now();
    all.remove(allRef, nowMs);
    model.remove(modelRef, nowMs);
  }

  /**
   * Restores a decision read back from the store at start-up; decisions must come oldest first.
   * A pending reservation older than the TTL is restored as already expired.
   */
  restore(decision: RestoredDecision, nowMs: number): void {
    if (this.paging && this.loading !== decision.subject && !this.subjects.has(decision.subject)) {
      // At the bound, a subject not in memory is left to be loaded when it is needed.
      if (this.subjects.size >= this.paging.maxSubjects) {
        this.pagedOut = true;
        return;
      }
    }
    const held = decision.pending && nowMs - decision.atMs <= this.reservationTtlMs;
    const tokens = decision.pending && !held ? 0 : decision.tokens;
    const { all, model } = this.windows(decision.subject, decision.model, nowMs);
    all.add(decision.atMs, tokens, held);
    model.add(decision.atMs, tokens, held);
  }

  /** Returns how many subjects, windows, events and pending reservations are held in memory. */
  stats(): UsageTrackerStats {
    const nowMs = this.now();
    let windows = 0;
    let events = 0;
    let pending = 0;
    for (const usage of this.subjects.values()) {
      windows += 1 + usage.models.size;
      events += usage.all.kept;
      pending += usage.all.heldAt(nowMs);
      for (const w of usage.models.values()) events += w.kept;
    }
    return {
      subjects: this.subjects.size,
      windows,
      events,
      pendingReservations: pending,
      pagedOut: this.evictions,
      pagedIn: this.loads,
    };
  }

  /** A reservation's decision is durable (or was withdrawn): it no longer pins its subject. */
  settled(usage: SubjectUsage): void {
    usage.inflight -= 1;
    if (usage.reread) this.reread(usage, this.now());
  }

  // Pages a subject out so that the ledger reads it again when it is next needed, once that is exact: not
  // while a decision of it is in flight (its reservation is not in the audit log yet).
  private reread(usage: SubjectUsage, nowMs: number): void {
    if (this.subjects.get(usage.subject) !== usage || !this.paging) return;
    usage.reread = pinned(usage, nowMs);
    if (!usage.reread) this.pageOut(usage.subject);
  }

  private windows(
    subject: string,
    model: string,
    nowMs: number,
  ): { all: SlidingWindow; model: SlidingWindow; usage: SubjectUsage } {
    let usage = this.usageOf(subject, nowMs);
    if (!usage) {
      usage = {
        subject,
        all: new SlidingWindow(this.reservationTtlMs),
        models: new Map(),
        inflight: 0,
        reservedAtMs: 0,
        reread: false,
      };
      this.subjects.set(subject, usage);
      this.makeRoom(subject, nowMs);
    }
    let forModel = usage.models.get(model);
    if (!forModel) usage.models.set(model, (forModel = new SlidingWindow(this.reservationTtlMs)));
    return { all: usage.all, model: forModel, usage };
  }

  // The subject's usage, marked most recently used; read back from the ledger if it was paged out.
  private usageOf(subject: string, nowMs: number): SubjectUsage | undefined {
    const usage = this.subjects.get(subject);
    if (!this.paging) return usage;
    if (usage) {
      // Map order is the LRU order: a touched subject moves to the end.
      this.subjects.delete(subject);
      this.subjects.set(subject, usage);
      return usage;
    }
    if (!this.pagedOut || this.loading !== undefined) return undefined;
    this.loading = subject;
    try {
      this.paging.load(subject, nowMs);
    } finally {
      this.loading = undefined;
    }
    const loaded = this.subjects.get(subject);
    if (loaded) {
      this.loads += 1;
      this.makeRoom(subject, nowMs);
    }
    return loaded;
  }

  // Pages out least recently used subjects until the bound holds again. A subject with a decision in
  // flight is skipped: its reservation is not in the audit log yet, so the ledger could not rebuild it.
  private makeRoom(keep: string, nowMs: number): void {
    if (!this.paging || this.subjects.size <= this.paging.maxSubjects) return;
    let looked = 0;
    for (const [subject, usage] of this.subjects) {
      if (this.subjects.size <= this.paging.maxSubjects || looked++ >= EVICT_MAX_STEP) return;
      if (subject === keep) continue;
      if (pinned(usage, nowMs)) continue;
      this.pageOut(subject);
    }
  }

  private pageOut(subject: string): void {
    this.subjects.delete(subject);
    this.pagedOut = true;
    this.evictions += 1;
  }

  // Forgets subjects (and models) with nothing left in the last day, a few per call, so that
  // identities seen once do not stay in memory forever. A reservation in flight keeps its own
  // reference to its windows, so forgetting one is always safe.
  private sweep(nowMs: number): void {
    const elapsed = Math.min(Math.max(nowMs - this.sweptAtMs, 0), SWEEP_PERIOD_MS);
    this.sweptAtMs = Math.max(nowMs, this.sweptAtMs);
    if (!this.sweepKeys) {
      if (this.subjects.size === 0) return;
      this.sweepKeys = [...this.subjects.keys()];
      this.sweepAt = 0;
      this.sweepPassSize = this.subjects.size;
    }
    this.sweepPassSize = Math.max(this.sweepPassSize, this.subjects.size);
    const credit = this.sweepCredit + (this.sweepPassSize * elapsed) / SWEEP_PERIOD_MS;
    this.sweepCredit = Math.min(credit, SWEEP_MAX_STEP);
    for (; this.sweepCredit >= 1; this.sweepCredit -= 1) {
      if (this.sweepAt >= this.sweepKeys.length) {
        this.sweepKeys = undefined;
        this.sweepCredit = 0;
        return;
      }
      const subject = this.sweepKeys[this.sweepAt++] as string;
      const usage = this.subjects.get(subject);
      // Paged out or swept since the pass began.
      if (usage === undefined) continue;
      if (usage.all.isEmpty(nowMs)) {
        this.subjects.delete(subject);
        continue;
      }
      for (const [model, w] of usage.models) if (w.isEmpty(nowMs)) usage.models.delete(model);
    }
  }
}

/** A reservation's two events: in the subject's window and in its model's, each with its reference. */
type HeldEvents = [all: SlidingWindow, allRef: number, model: SlidingWindow, modelRef: number];

// A class rather than a closure per decision: reservations are made on the hot path.
class HeldReservation implements Reservation {
  private pinning = true;

  constructor(
    private readonly tracker: MemoryUsageTracker,
    private readonly usage: SubjectUsage,
    private readonly events: HeldEvents,
  ) {}

  release(): void {
    this.recorded();
    this.tracker.withdraw(this.events);
  }

  recorded(): void {
    if (!this.pinning) return;
    this.pinning = false;
    this.tracker.settled(this.usage);
  }
}

// Whether a subject has a decision in flight, whose reservation the ledger could not rebuild yet: it stays in memory.
function pinned(usage: SubjectUsage, nowMs: number): boolean {
  return usage.inflight > 0 && nowMs - usage.reservedAtMs < PIN_LIMIT_MS;
}

function zero(): UsageCounters {
  return { requests_last_minute: 0, tokens_last_hour: 0, tokens_last_day: 0 };
}
