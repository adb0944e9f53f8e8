import type { Db } from '../audit/database';
import { ForbiddenError, ModelgateError, ReasonCode, RequestError } from '../errors';
import type { MemoryUsageTracker } from './memory-usage-tracker';

const DAY_MS = 24 * 60 * 60 * 1000;
// Paths whose allowed decisions reserve tokens.
const RESERVING_PATHS = ['/v1/decide', '/v1/data/%'];

/** What a caller reports an invocation really used. */
export interface UsageReport {
  input_tokens: number;
  output_tokens: number;
  cost_usd?: number;
}

/** A decision as the ledger needs it to accept a report. */
export interface ReportedDecision {
  subject: string | null;
  outcome: string;
  timestampMs: number;
}

/**
 * The durable side of usage: reports in SQLite, and the rebuild of the in-memory counters from
 * the audit log (allowed decisions of the last day) and the reports at start-up.
 */
export class UsageLedger {
  constructor(
    private readonly db: Db,
    private readonly tracker: MemoryUsageTracker,
    private readonly reservationTtlMs: number,
  ) {}

  /** Rebuilds the counters for the last day; returns how many decisions and reports were read. */
  restore(nowMs: number): { decisions: number; reports: number; ms: number } {
    const started = performance.now();
    const rows = this.db
      .prepare(
        `SELECT r.decision_id AS id, r.subject, r.model, r.ts_ms AS at,
                coalesce(json_extract(r.record, '$.max_tokens'), 0)
                  + coalesce(json_extract(r.record, '$.input.invocation.input_tokens'), 0) AS reserved,
                u.input_tokens + u.output_tokens AS reported
           FROM audit_records r LEFT JOIN usage_reports u ON u.decision_id = r.decision_id
          WHERE r.ts_ms > ? AND r.outcome = 'allowed' AND r.subject IS NOT NULL
            AND (r.path = ? OR r.path LIKE ?)
          ORDER BY r.ts_ms, r.seq`,
      )
      .iterate(nowMs - DAY_MS, RESERVING_PATHS[0], RESERVING_PATHS[1]) as Iterable<{
      id: string;
      subject: string;
      model: string | null;
      at: number;
      reserved: number;
      reported: number | null;
    }>;
    let decisions = 0;
    let reports = 0;
    for (const row of rows) {
      decisions += 1;
      if (row.reported !== null) reports += 1;
      this.tracker.restore({
        decisionId: row.id,
        subject: row.subject,
        model: row.model ?? '',
        tokens: row.reported ?? row.reserved,
        atMs: row.at,
        settled: row.reported !== null,
      });
    }
    return { decisions, reports, ms: Math.round(performance.now() - started) };
  }

  /**
   * Records what an allowed decision really used, replacing its reservation. Throws 403 not_owner
   * for someone else's decision, 409 conflict for a second report, a denied decision or an expired reservation.
   */
  report(
    decisionId: string,
    reporter: string,
    decision: ReportedDecision,
    usage: UsageReport,
    nowMs: number,
  ): void {
    if (decision.subject !== reporter) {
      throw new ForbiddenError(ReasonCode.NotOwner, 'only the subject that was allowed may report its usage');
    }
    if (decision.outcome !== 'allowed') {
      throw new RequestError(
        ReasonCode.Conflict,
        409,
        `decision ${decisionId} was not allowed; there is nothing to report`,
      );
    }
    if (nowMs - decision.timestampMs > this.reservationTtlMs) {
      throw new RequestError(
        ReasonCode.Conflict,
        409,
        `the reservation of decision ${decisionId} has expired`,
      );
    }
    try {
      this.db
        .prepare(
          `INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(decisionId, reporter, usage.input_tokens, usage.output_tokens, usage.cost_usd ?? null, nowMs);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new RequestError(
          ReasonCode.Conflict,
          409,
          `usage for decision ${decisionId} was already reported`,
        );
      }
      throw new ModelgateError(ReasonCode.UsageUnavailable, 503, 'the usage ledger cannot record reports', {
        cause: err,
      });
    }
    this.tracker.settle(decisionId, usage.input_tokens + usage.output_tokens);
  }

  /** Returns the reports of a subject's decisions in the last day: count, tokens and cost. */
  reportedSince(subject: string, sinceMs: number): { reports: number; tokens: number; cost_usd: number } {
    const row = this.db
      .prepare(
        `SELECT count(*) AS reports, coalesce(sum(input_tokens + output_tokens), 0) AS tokens,
                coalesce(sum(cost_usd), 0) AS cost_usd
           FROM usage_reports WHERE subject = ? AND reported_ms > ?`,
      )
      .get(subject, sinceMs) as { reports: number; tokens: number; cost_usd: number };
    return row;
  }
}
