import type { Pool } from 'pg';
import type { UsageReportRow, UsageReportWriter } from '../usage/usage-reports';
import { pgColumnText } from './pg-column-text';

/** A subject's reports since some time: how many, their tokens and cost. */
export interface ReportedTotals {
  reports: number;
  tokens: number;
  cost_usd: number;
}

/**
 * Usage reports in PostgreSQL: each settles its reservation (PgUsageTracker): a trusted reporter's exactly, a
 * self-report never below what was reserved; and their totals. A subject is
 * held as pgColumnText of it, as in usage_reservations.
 */
export class PgUsageHistory implements UsageReportWriter {
  constructor(private readonly pool: Pool) {}

  /** Returns false when the decision's usage was already reported (by any replica). */
  async insertReport(row: UsageReportRow): Promise<boolean> {
    // The report and the settled reservation in one statement: whichever replica made the reservation.
    // A trusted reporter's figure replaces the reservation; a self-report may only raise it (as on SQLite,
    // UsageLedger.report), else a caller frees its own budget by reporting zero. A settled reservation is
    // no longer held: it counts for the whole day, not only for the reservation TTL.
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH inserted AS (
         INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id),
       settled AS (
         UPDATE usage_reservations
            SET tokens = CASE WHEN $7::boolean THEN $3 + $4 ELSE GREATEST(tokens, $3 + $4) END,
                held = false
          WHERE decision_id IN (SELECT decision_id FROM inserted))
       SELECT count(*)::int AS n FROM inserted`,
      [
        row.decision_id,
        pgColumnText(row.subject),
        row.input_tokens,
        row.output_tokens,
        row.cost_usd,
        row.reported_ms,
        row.settles_exactly === 1,
      ],
    );
    return rows[0]!.n === 1;
  }

  /** Returns the reports a subject made since `sinceMs`. */
  async reportedSince(subject: string, sinceMs: number): Promise<ReportedTotals> {
    const { rows } = await this.pool.query<ReportedTotals>(
      `SELECT count(*)::int AS reports, coalesce(sum(input_tokens + output_tokens), 0)::float8 AS tokens,
              coalesce(sum(cost_usd), 0)::float8 AS cost_usd
         FROM usage_reports WHERE subject = $1 AND reported_ms > $2`,
      [pgColumnText(subject), sinceMs],
    );
    return rows[0]!;
  }
}
