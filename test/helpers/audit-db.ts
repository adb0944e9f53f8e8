import Database from 'better-sqlite3';

/** One audit row as the tests read it straight from the SQLite file. */
export interface AuditRow {
  seq: number;
  decision_id: string;
  outcome: string;
  status: number;
  subject: string | null;
  path: string;
  record: Record<string, unknown>;
}

/** Returns the audit record of a decision, read from the database file (not through our API). */
export function auditRow(dbFile: string, decisionId: string): AuditRow | undefined {
  const db = new Database(dbFile, { readonly: true });
  try {
    const row = db
      .prepare(
        'SELECT seq, decision_id, outcome, status, subject, path, record FROM audit_records WHERE decision_id = ?',
      )
      .get(decisionId) as (Omit<AuditRow, 'record'> & { record: string }) | undefined;
    return row && { ...row, record: JSON.parse(row.record) as Record<string, unknown> };
  } finally {
    db.close();
  }
}

/** Returns how many audit records the database file holds. */
export function auditCount(dbFile: string): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM audit_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
