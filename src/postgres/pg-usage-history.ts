import type { Pool } from 'pg';
import type { MemoryUsageTracker } from '../usage/memory-usage-tracker';
import { DAY_MS } from '../usage/sliding-window';
import type { RestoreResult } from '../usage/usage-ledger';
import type { UsageReportRow, UsageReportWriter } from '../usage/usage-reports';
import { tokenCount } from '../usage/usage-tracker';

/** A subject's reports since some time: how many, their tokens and cost. */
export interface ReportedTotals {
  reports: number;
  tokens: number;
  cost_usd: number;
}

type RestoreRow = {
  decision_id: string | null;
  subject: string;
  model: string | null;
  ts_ms: number;
  max_tokens: unknown;
  input_tokens: unknown;
  reported: number | null;
};

/** The durable side of usage in PostgreSQL: reports, their totals, and the start-up rebuild. */
export class PgUsageHistory implements UsageReportWriter {
  constructor(private readonly pool: Pool) {}

  /** Returns false when the decision's usage was already reported (by any replica). */
  async insertReport(row: UsageReportRow): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (decision_id) DO NOTHING`,
      [row.decision_id, row.subject, row.input_tokens, row.output_tokens, row.cost_usd, row.reported_ms],
    );
    return result.rowCount === 1;
  }

  /** Returns the reports a subject made since `sinceMs`. */
  async reportedSince(subject: string, sinceMs: number): Promise<ReportedTotals> {
    const { rows } = await this.pool.query<ReportedTotals>(
      `SELECT count(*)::int AS reports, coalesce(sum(input_tokens + output_tokens), 0)::float8 AS tokens,
              coalesce(sum(cost_usd), 0)::float8 AS cost_usd
         FROM usage_reports WHERE subject = $1 AND reported_ms > $2`,
      [subject, sinceMs],
    );
    return rows[0]!;
  }

  /**
   * Rebuilds the in-memory counters from the allowed decisions of the last day in the shared log
   * (every replica's) and their reports; returns how many were read. Same figures as the SQLite
   * rebuild: reported tokens, else the effective max_tokens plus the declared input tokens.
   */
  async restore(tracker: MemoryUsageTracker, nowMs: number): Promise<RestoreResult> {
    const started = performance.now();
    const { rows } = await this.pool.query<RestoreRow>(
      `SELECT CASE WHEN u.decision_id IS NULL THEN r.decision_id END AS decision_id, r.subject, r.model, r.ts_ms,
              (r.record::jsonb)->'max_tokens' AS max_tokens,
              (r.record::jsonb)#>'{input,invocation,input_tokens}' AS input_tokens,
              u.input_tokens + u.output_tokens AS reported
         FROM audit_records r LEFT JOIN usage_reports u ON u.decision_id = r.decision_id
        WHERE r.outcome = 'allowed' AND r.ts_ms > $1 AND r.subject IS NOT NULL
          AND (r.path = '/v1/decide' OR left(r.path, 9) = '/v1/data/')
        ORDER BY r.ts_ms`,
      [nowMs - DAY_MS],
    );
    let reports = 0;
    for (const row of rows) {
      if (row.reported !== null) reports += 1;
      tracker.restore(
        {
          decisionId: row.decision_id ?? '',
          subject: row.subject,
          model: row.model ?? '',
          tokens: row.reported ?? tokenCount(row.max_tokens) + tokenCount(row.input_tokens),
          atMs: row.ts_ms,
          pending: row.reported === null,
        },
        nowMs,
      );
    }
    return { decisions: rows.length, reports, ms: Math.round(performance.now() - started) };
  }
}
