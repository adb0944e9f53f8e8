import { escapeLiteral, type Pool, type QueryResult } from 'pg';
import type { Logger } from 'pino';
import type { SharedReplayCache } from '../identity/shared-replay-cache';

/** How the sweep of expired claims deletes. */
export interface DpopSweepLimits {
  /** Rows per DELETE: each is a short transaction, so claims never wait long on one. Default 1000. */
  batchRows?: number;
  /** DELETEs per sweep at most; what is left waits for the next sweep. Default 100. */
  maxBatches?: number;
}

// A claim takes the key when no row holds it, or when the row that does has outlived its window: an expired row
// counts as absent, so the sweep is housekeeping, never what frees a key. The upsert's WHERE is evaluated on the
// row as committed, after waiting for a concurrent claim of the same key: of two claims at once, one wins.
//
// No fsync of its own, as PgUsageTracker's reservations: every reply after an accepted proof waits for its audit
// record's synchronous commit, which comes later in the same WAL and flushes the claim with it. A database crash
// can lose only claims of requests never answered (and of /metrics scrapes, which record nothing). The claim is
// visible to every replica as soon as it commits either way. Measured: bench/dpop-claim.bench.ts.
function claimSql(key: string, windowMs: number): string {
  return `BEGIN; SET LOCAL synchronous_commit = off;
    INSERT INTO dpop_proofs AS p (key, until)
    VALUES (${escapeLiteral(key)}, statement_timestamp() + ${windowMs} * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE SET until = excluded.until
    WHERE p.until <= statement_timestamp();
    COMMIT`;
}

// Oldest first by the index; SKIP LOCKED lets every replica sweep at once without waiting on each other.
const EXPIRE = `
  DELETE FROM dpop_proofs WHERE key IN (
    SELECT key FROM dpop_proofs WHERE until <= statement_timestamp()
     ORDER BY until LIMIT $1 FOR UPDATE SKIP LOCKED)`;

/**
 * The DPoP replay cache every replica shares: one row per proof accepted, claimed by one statement (in one round
 * trip) on the pool the stores share. Expired rows are deleted by expire(), in the background.
 */
export class PgDpopReplayCache implements SharedReplayCache {
  private readonly batchRows: number;
  private readonly maxBatches: number;

  constructor(
    private readonly pool: Pool,
    limits: DpopSweepLimits = {},
  ) {
    this.batchRows = limits.batchRows ?? 1000;
    this.maxBatches = limits.maxBatches ?? 100;
  }

  async claim(key: string, windowMs: number): Promise<boolean> {
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) throw new TypeError(`not a window: ${windowMs}`);
    // Several statements in one simple query: one round trip; their results come back in order. A failure leaves
    // the transaction aborted, but pool.query destroys a connection whose query failed: none goes back so.
    const results = (await this.pool.query(claimSql(key, windowMs))) as unknown as QueryResult[];
    return results[2]!.rowCount === 1;
  }

  /** Deletes claims whose window is over, in batches of batchRows, at most maxBatches; returns how many. */
  async expire(): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < this.maxBatches; batch++) {
      const result = await this.pool.query(EXPIRE, [this.batchRows]);
      const rows = result.rowCount ?? 0;
      deleted += rows;
      if (rows < this.batchRows) break;
    }
    return deleted;
  }

  /** Runs expire() every `everyMs`, never two at once, until the returned function is called. */
  sweepEvery(everyMs: number, logger: Logger): () => void {
    let sweeping = false;
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      this.expire()
        .catch((err: Error) =>
          logger.warn({ err: { message: err.message } }, 'could not delete expired DPoP proofs'),
        )
        .finally(() => (sweeping = false));
    }, everyMs).unref();
    return () => clearInterval(timer);
  }
}
