/** Recent usage of one subject (or one subject and model): `input.usage` in the policy input. */
export interface UsageCounters {
  requests_last_minute: number;
  tokens_last_hour: number;
  tokens_last_day: number;
}

/** `input.usage`: the subject's counters, and the same counters for the requested model. */
export interface UsageSnapshotV1 extends UsageCounters {
  model: UsageCounters;
}

/** One allowed decision's claim on the budget. */
export interface ReservationRequest {
  decisionId: string;
  subject: string;
  model: string;
  /** Tokens reserved: effective max_tokens plus declared input tokens. */
  tokens: number;
  atMs: number;
}

/** An allowed decision as its usage report finds it: what settling its reservation needs. */
export interface ReservedDecision {
  subject: string;
  model: string;
  /** When it was received (its audit record's timestamp): its reservation was made then or just after. */
  atMs: number;
  /** What it reserved: its effective max_tokens plus its prompt tokens (see promptTokens). */
  tokens: number;
}

/** Replaces a reservation's tokens with what the call really used; false when it is not held (here). */
export type Settle = (tokens: number, nowMs: number) => boolean;

/** A reservation that can be withdrawn when its decision could not be recorded. */
export interface Reservation {
  release(): void;
  /** The decision is durable in the audit log: the ledger can rebuild it, so its subject may be paged out. */
  recorded?(): void;
}

/** A subject's usage held for one decision; end() makes its reservation visible and lets the next one in. */
export interface UsageLock {
  end(): Promise<void>;
}

/** Keeps per-subject usage for budgets and rate limits. Reads and reservations are synchronous by design. */
export interface UsageTracker {
  /**
   * Shared trackers only (several replicas): loads the subject's counters and holds them until end(),
   * so the synchronous snapshot-decide-reserve that follows is atomic across processes too.
   */
  lock?(subject: string, model: string, nowMs: number): Promise<UsageLock>;
  snapshot(subject: string, model: string, nowMs: number): UsageSnapshotV1;
  reserve(request: ReservationRequest): Reservation;
  /**
   * Finds a reported decision's reservation before its report is stored; the Settle it returns replaces the
   * reservation's tokens once the report is stored (which also keeps a second report of it out).
   */
  settlement(decision: ReservedDecision): Settle;
}

/** A token figure as reserved: a positive finite number, else 0 (what a Data API caller may send). */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
