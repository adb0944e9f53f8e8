import type { Statement } from 'better-sqlite3';
import type { Db } from '../audit/database';

/** One row of usage_reports: what a caller said an allowed decision really used. */
export interface UsageReportRow {
  decision_id: string;
  subject: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  reported_ms: number;
  /** 1: a trusted reporter's figure, which replaces the reservation; 0: a self-report, which may only raise it. */
  settles_exactly: 0 | 1;
}

/** Where usage reports are stored. Resolves false when the decision's usage was already reported. */
export interface UsageReportWriter {
  insertReport(row: UsageReportRow): Promise<boolean>;
}

/** usage_reports on a connection of this thread: the service's writer thread, the CLI and tests. */
export class SqliteUsageReports implements UsageReportWriter {
  private readonly insert: Statement;

  constructor(db: Db) {
    // ON CONFLICT names the key: a second report is "already reported", any other failure throws.
    this.insert = db.prepare(
      `INSERT INTO usage_reports
         (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms, settles_exactly)
       VALUES (@decision_id, @subject, @input_tokens, @output_tokens, @cost_usd, @reported_ms, @settles_exactly)
       ON CONFLICT (decision_id) DO NOTHING`,
    );
  }

  /** Returns false when a report for the decision already exists. */
  insertNow(row: UsageReportRow): boolean {
    return this.insert.run(row).changes === 1;
  }

  async insertReport(row: UsageReportRow): Promise<boolean> {
    return this.insertNow(row);
  }
}
