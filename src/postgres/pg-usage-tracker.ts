import type { Pool, PoolClient } from 'pg';
import { escapeLiteral } from 'pg';
import type { Logger } from 'pino';
import { ReasonCode, UnavailableError } from '../errors';
import { DAY_MS } from '../usage/sliding-window';
import { pgColumnText } from './pg-column-text';
import { countersSql, type ModelCountersRow } from './pg-usage-counters';
import type {
  Reservation,
  ReservationRequest,
  Settle,
  UsageCounters,
  UsageLock,
  UsageSnapshotV1,
  UsageTracker,
} from '../usage/usage-tracker';

// First key of the two-key advisory lock: "MGUS"; the second is hashtext(subject).
const USAGE_LOCK = 0x4d475553;
// Most decisions of one subject that share one hold of its lock: bounds how long other replicas wait.
const MAX_BATCH = 256;

/** One hold of a subject's lock: a transaction, the counters read under it, and the reservations made since. */
interface Batch {
  client: PoolClient;
  /** Per model: the counters read under the lock plus this batch's reservations. */
  counters: Map<string, UsageCounters>;
  reserved: ReservationRequest[];
  /** Set once the commit has started: later decisions open the next batch. */
  closed: boolean;
  /** Settles when the commit has (or has not) made the reservations durable and visible to every replica. */
  committed: Promise<void>;
  settle: { resolve: () => void; reject: (err: Error) => void };
}

/**
 * Usage shared by every replica through PostgreSQL, exact under concurrency. A subject's lock is a
 * transaction-level advisory lock; under it the subject's counters are read and its reservations
 * inserted, so no replica can read counters that miss another's committed grant.
 *
 * Group commit per subject: within one replica, the decisions of a subject that arrive while its lock
 * is held join that hold, one after the other in memory (each sees the reservations of those before
 * it, as in MemoryUsageTracker), and the last one inserts them all and commits. One hold costs two
 * round trips (lock + read; insert + commit), whatever the number of decisions it serves, so a busy
 * subject is bound by neither one commit nor three round trips per decision.
 *
 * The tables hold a subject and a model as pgColumnText of them, so that any name a token or a caller may
 * send can be indexed.
 */
export class PgUsageTracker implements UsageTracker {
  private readonly batches = new Map<string, Batch>();
  private readonly queues = new Map<string, Promise<void>>();
  /** The decision between lock() and end(), per subject: what snapshot() and reserve() act on. */
  private readonly current = new Map<string, Batch>();

  constructor(
    private readonly pool: Pool,
    private readonly reservationTtlMs: number,
    private readonly logger: Logger,
  ) {}

  /** Holds the subject's usage until end(); throws UnavailableError usage_unavailable if the database cannot. */
  async lock(subject: string, _model: string, nowMs: number): Promise<UsageLock> {
    // One decision of a subject at a time in this process, from lock() to end().
    const before = this.queues.get(subject) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.queues.set(subject, tail);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done();
      if (this.queues.get(subject) === tail) this.queues.delete(subject);
    };
    await before;
    let batch = this.batches.get(subject);
    if (!batch || batch.closed || batch.reserved.length >= MAX_BATCH) {
      try {
        batch = await this.open(subject, nowMs);
      } catch (err) {
        finish();
        throw new UnavailableError(ReasonCode.UsageUnavailable, 'the shared usage ledger cannot be read', {
          cause: err,
        });
      }
      this.batches.set(subject, batch);
    }
    this.current.set(subject, batch);
    const joined = batch;
    return {
      end: async () => {
        this.current.delete(subject);
        // Someone of this subject is waiting in this process: let them join; the last one commits.
        const waiting = this.queues.get(subject) !== tail;
        if (!waiting || joined.reserved.length >= MAX_BATCH) this.commit(subject, joined);
        finish();
        await joined.committed;
      },
    };
  }

  /** Returns the subject's counters (for `model`) as of this decision; zeros outside lock() (nothing read). */
  snapshot(subject: string, model: string): UsageSnapshotV1 {
    const batch = this.current.get(subject);
    const zero = { requests_last_minute: 0, tokens_last_hour: 0, tokens_last_day: 0 };
    if (!batch) return { ...zero, model: { ...zero } };
    const total = { ...zero };
    for (const counters of batch.counters.values()) {
      total.requests_last_minute += counters.requests_last_minute;
      total.tokens_last_hour += counters.tokens_last_hour;
      total.tokens_last_day += counters.tokens_last_day;
    }
    return { ...total, model: { ...(batch.counters.get(model) ?? zero) } };
  }

  /** Counts the reservation at once for the decisions after it; end() writes it before the decision is answered. */
  reserve(request: ReservationRequest): Reservation {
    const batch = this.current.get(request.subject);
    if (!batch) throw new TypeError('PgUsageTracker.reserve outside lock()');
    assertFinite(request.tokens, request.atMs);
    batch.reserved.push(request);
    const counters = batch.counters.get(request.model) ?? {
      requests_last_minute: 0,
      tokens_last_hour: 0,
      tokens_last_day: 0,
    };
    counters.requests_last_minute += 1;
    counters.tokens_last_hour += request.tokens;
    counters.tokens_last_day += request.tokens;
    batch.counters.set(request.model, counters);
    return {
      // The decision could not be recorded: withdraw the reservation. Should this fail too, the
      // budget stays spent (too strict, never too lenient) until the reservation expires.
      release: () => {
        this.pool
          .query('DELETE FROM usage_reservations WHERE decision_id = $1', [request.decisionId])
          .catch((err: Error) =>
            this.logger.warn({ err: { message: err.message } }, 'could not withdraw a reservation'),
          );
      },
    };
  }

  /** Deletes reservations no counter reads any more (older than a day and the TTL); returns how many. */
  async expire(nowMs: number): Promise<number> {
    const horizon = nowMs - Math.max(DAY_MS, this.reservationTtlMs);
    const result = await this.pool.query('DELETE FROM usage_reservations WHERE at_ms <= $1', [horizon]);
    return result.rowCount ?? 0;
  }

  /** Reports settle reservations in PostgreSQL (PgUsageHistory.insertReport), whichever replica made them. */
  settlement(): Settle {
    return () => true;
  }

  // Takes the subject's lock and reads its counters per model, in one round trip: the simple-query
  // protocol runs the statements in order, each (READ COMMITTED) with a snapshot taken after the lock.
  // The read costs a day of minute buckets at most, not one row per decision (pg-usage-counters.ts).
  private async open(subject: string, nowMs: number): Promise<Batch> {
    const client = await this.pool.connect();
    client.on('error', ignore);
    const key = pgColumnText(subject);
    const s = escapeLiteral(key);
    try {
      // No fsync while the subject is locked: the reservations' WAL records are flushed by the
      // synchronous commit of the decisions' audit records, which come later in the same WAL and
      // precede the replies. A crash can only lose reservations of decisions never answered.
      const results = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = off;
         SELECT pg_advisory_xact_lock(${USAGE_LOCK}, hashtext(${s}));
         ${countersSql(key, nowMs, this.reservationTtlMs)}`,
      )) as unknown as { rows: ModelCountersRow[] }[];
      const rows = results[results.length - 1]!.rows;
      const counters = new Map<string, UsageCounters>(
        rows.map((r) => [
          r.model,
          { requests_last_minute: r.minute, tokens_last_hour: r.hour, tokens_last_day: r.day },
        ]),
      );
      let settle!: { resolve: () => void; reject: (err: Error) => void };
      const committed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      // Rejections reach every member through its own await; this keeps an unawaited one quiet.
      committed.catch(ignore);
      return { client, counters, reserved: [], closed: false, committed, settle };
    } catch (err) {
      await client.query('ROLLBACK').catch(ignore);
      release(client, true);
      throw err;
    }
  }

  // Inserts the batch's reservations and commits, in one round trip; the commit releases the lock.
  private commit(subject: string, batch: Batch): void {
    if (batch.closed) return;
    batch.closed = true;
    if (this.batches.get(subject) === batch) this.batches.delete(subject);
    const settle = batch.settle;
    const values = batch.reserved
      .map(
        (r) =>
          `(${escapeLiteral(r.decisionId)}, ${escapeLiteral(pgColumnText(r.subject))}, ` +
          `${escapeLiteral(pgColumnText(r.model))}, ` +
          `${Number(r.tokens)}, ${int(r.atMs)})`,
      )
      .join(', ');
    const sql =
      (values
        ? `INSERT INTO usage_reservations (decision_id, subject, model, tokens, at_ms) VALUES ${values}; `
        : '') + 'COMMIT';
    batch.client.query(sql).then(
      () => {
        release(batch.client, false);
        settle.resolve();
      },
      async (err: Error) => {
        await batch.client.query('ROLLBACK').catch(ignore);
        release(batch.client, true);
        settle.reject(
          new UnavailableError(ReasonCode.UsageUnavailable, 'the shared usage ledger cannot reserve', {
            cause: err,
          }),
        );
      },
    );
  }
}

// Numbers go into SQL text only through these checks: finite, and integers where the column is.
function int(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return String(value);
}

function assertFinite(tokens: number, atMs: number): void {
  if (!Number.isFinite(tokens) || !Number.isSafeInteger(atMs)) {
    throw new TypeError('a reservation needs finite tokens and an integer time');
  }
}

function release(client: PoolClient, broken: boolean): void {
  client.off('error', ignore);
  client.release(broken);
}

function ignore(): void {
  // A connection that dies between queries: the next query on it fails and is handled there.
}
