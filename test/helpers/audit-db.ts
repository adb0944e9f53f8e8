import Database from 'better-sqlite3';
import { canonicalJson, chainHash, GENESIS_HASH, type AuditRecordV1 } from '../../src/audit';

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

/**
 * Returns how many requests the records of one path and status stand for: a counted record (anonymous
 * refusals beyond the per-minute limit) stands for its `count`, any other for one.
 */
export function requestsRecorded(dbFile: string, path: string, status: number): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT record FROM audit_records WHERE path = ? AND status = ?')
      .all(path, status) as { record: string }[];
    return rows
      .map((r) => JSON.parse(r.record) as { count?: number })
      .reduce((n, r) => n + (r.count ?? 1), 0);
  } finally {
    db.close();
  }
}

/** Returns the decision id of the latest record of `POST /v1/decide`, read from the database file. */
export function lastDecisionId(dbFile: string): string {
  const db = new Database(dbFile, { readonly: true });
  try {
    const row = db
      .prepare("SELECT decision_id FROM audit_records WHERE path = '/v1/decide' ORDER BY seq DESC LIMIT 1")
      .get() as { decision_id: string } | undefined;
    if (!row) throw new Error(`no decision recorded in ${dbFile}`);
    return row.decision_id;
  } finally {
    db.close();
  }
}

/**
 * Applies `edit` to every record, then recomputes every hash from genesis: the consistent forged chain that an
 * attacker with write access to the file, but not the signing key, can make. `extra` runs in the same transaction.
 */
export function forgeChain(
  file: string,
  edit: (record: AuditRecordV1, seq: number) => void,
  extra?: (db: Database.Database) => void,
): void {
  const db = new Database(file);
  try {
    const rows = db.prepare('SELECT seq, record FROM audit_records ORDER BY seq').all() as {
      seq: number;
      record: string;
    }[];
    const update = db.prepare(
      'UPDATE audit_records SET record = ?, prev_hash = ?, hash = ?, outcome = ? WHERE seq = ?',
    );
    let prev = GENESIS_HASH;
    db.transaction(() => {
      for (const row of rows) {
        const record = JSON.parse(row.record) as AuditRecordV1;
        edit(record, row.seq);
        const json = canonicalJson(record);
        const hash = chainHash(prev, row.seq, json);
        update.run(json, prev, hash, record.outcome, row.seq);
        prev = hash;
      }
      extra?.(db);
    })();
  } finally {
    db.close();
  }
}
