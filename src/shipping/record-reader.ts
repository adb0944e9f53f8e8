import type { Statement } from 'better-sqlite3';
import type { StoredAuditRecord } from '../audit/audit-store';
import type { Db } from '../audit/database';

type Row = { seq: number; record: string; prev_hash: string; hash: string };

/** Reads the audit log in chain order for shipping: records after a seq, and the newest seq. */
export class RecordReader {
  private readonly after: Statement;
  private readonly newest: Statement;

  constructor(db: Db) {
    this.after = db.prepare(
      'SELECT seq, record, prev_hash, hash FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.newest = db.prepare('SELECT max(seq) AS seq FROM audit_records');
  }

  /** Returns up to `limit` records with seq greater than `seq`, oldest first. */
  recordsAfter(seq: number, limit: number): StoredAuditRecord[] {
    return (this.after.all(seq, limit) as Row[]).map((row) => ({
      ...(JSON.parse(row.record) as StoredAuditRecord),
      seq: row.seq,
      prev_hash: row.prev_hash,
      hash: row.hash,
    }));
  }

  /** Returns the seq of the newest record, or 0 when the log is empty. */
  headSeq(): number {
    return (this.newest.get() as { seq: number | null }).seq ?? 0;
  }
}
