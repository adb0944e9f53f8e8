import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { ReasonCode, UnavailableError } from '../errors';
import { DAY_MS } from '../usage/sliding-window';
import type {
  Reservation,
  ReservationRequest,
  UsageCounters,
  UsageLock,
  UsageSnapshotV1,
  UsageTracker,
} from '../usage/usage-tracker';

// First key of the two-key advisory lock: "MGUS"; the second is hashtext(subject).
const USAGE_LOCK = 0x4d475553;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

const COUNTERS = `
  SELECT count(*) FILTER (WHERE at_ms > $3)::int AS requests_last_minute,
         coalesce(sum(tokens) FILTER (WHERE at_ms > $4), 0)::float8 AS tokens_last_hour,
         coalesce(sum(tokens), 0)::float8 AS tokens_last_day,
         count(*) FILTER (WHERE model = $2 AND at_ms > $3)::int AS m_requests_last_minute,
         coalesce(sum(tokens) FILTER (WHERE model = $2 AND at_ms > $4), 0)::float8 AS m_tokens_last_hour,
         coalesce(sum(tokens) FILTER (WHERE model = $2), 0)::float8 AS m_tokens_last_day
    FROM usage_reservations WHERE subject = $1 AND at_ms > $5`;

type CounterRow = UsageCounters & {
  m_requests_last_minute: number;
  m_tokens_last_hour: number;
  m_tokens_last_day: number;
};

interface Held {
  client: PoolClient;
  snapshot: UsageSnapshotV1;
  reserved: ReservationRequest | null;
}

/**
 * Usage shared by every replica through PostgreSQL, exact under concurrency: lock() takes the
 * subject's advisory lock in a transaction and reads its counters from usage_reservations; snapshot()
 * and reserve() are then the synchronous steps of the decision path; end() writes the reservation and
 * commits, releasing the lock. A subject's decisions are thereby serialised across replicas (within
 * one replica they queue in memory first, so they hold one connection, not one each), and different
 * subjects do not wait for each other.
 */
export class PgUsageTracker implements UsageTracker {
  private readonly held = new Map<string, Held>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly pool: Pool,
    private readonly reservationTtlMs: number,
    private readonly logger: Logger,
  ) {}

  /** Holds the subject's usage until end(); throws UnavailableError usage_unavailable if the database cannot. */
  async lock(subject: string, model: string, nowMs: number): Promise<UsageLock> {
    const before = this.queues.get(subject) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.queues.set(subject, tail);
    const finish = () => {
      done();
      if (this.queues.get(subject) === tail) this.queues.delete(subject);
    };
    await before;
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      client.on('error', ignore);
      // No fsync while the subject is locked: the reservation's WAL record is flushed by the
      // synchronous commit of the decision's audit record, which comes later in the same WAL and
      // precedes the reply. A crash can only lose reservations of decisions never answered.
      await client.query('BEGIN; SET LOCAL synchronous_commit = off');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [USAGE_LOCK, subject]);
      const { rows } = await client.query<CounterRow>(COUNTERS, [
        subject,
        model,
        nowMs - MINUTE_MS,
        nowMs - HOUR_MS,
        nowMs - Math.min(DAY_MS, this.reservationTtlMs),
      ]);
      const row = rows[0]!;
      this.held.set(subject, { client, snapshot: toSnapshot(row), reserved: null });
    } catch (err) {
      if (client) release(client, true);
      finish();
      throw new UnavailableError(ReasonCode.UsageUnavailable, 'the shared usage ledger cannot be read', {
        cause: err,
      });
    }
    const heldClient = client;
    return {
      end: async () => {
        const held = this.held.get(subject);
        this.held.delete(subject);
        try {
          const r = held?.reserved;
          if (r) {
            await heldClient.query(
              'INSERT INTO usage_reservations (decision_id, subject, model, tokens, at_ms) VALUES ($1, $2, $3, $4, $5)',
              [r.decisionId, r.subject, r.model, r.tokens, r.atMs],
            );
          }
          await heldClient.query('COMMIT');
          release(heldClient, false);
        } catch (err) {
          await heldClient.query('ROLLBACK').catch(() => undefined);
          release(heldClient, true);
          throw new UnavailableError(ReasonCode.UsageUnavailable, 'the shared usage ledger cannot reserve', {
            cause: err,
          });
        } finally {
          finish();
        }
      },
    };
  }

  /** Returns the counters read by lock(); zeros for a subject that is not locked (nothing to read). */
  snapshot(subject: string): UsageSnapshotV1 {
    return this.held.get(subject)?.snapshot ?? toSnapshot(null);
  }

  /** Notes the reservation; lock's end() writes it before the decision is recorded and answered. */
  reserve(request: ReservationRequest): Reservation {
    const held = this.held.get(request.subject);
    if (!held) throw new TypeError('PgUsageTracker.reserve outside lock()');
    held.reserved = request;
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
  settle(): boolean {
    return true;
  }
}

function toSnapshot(row: CounterRow | null): UsageSnapshotV1 {
  return {
    requests_last_minute: row?.requests_last_minute ?? 0,
    tokens_last_hour: row?.tokens_last_hour ?? 0,
    tokens_last_day: row?.tokens_last_day ?? 0,
    model: {
      requests_last_minute: row?.m_requests_last_minute ?? 0,
      tokens_last_hour: row?.m_tokens_last_hour ?? 0,
      tokens_last_day: row?.m_tokens_last_day ?? 0,
    },
  };
}

function release(client: PoolClient, broken: boolean): void {
  client.off('error', ignore);
  client.release(broken);
}

function ignore(): void {
  // A connection that dies between queries: the next query on it fails and is handled there.
}
