import type { AuditRecordV1 } from './audit-record';
import type { Db } from './database';

/** Which recorded decisions to read, oldest first. Times are Unix milliseconds, [fromMs, toMs). */
export interface DecisionScan {
  /** Only records of this API path (e.g. /v1/decide). */
  path: string;
  fromMs?: number;
  toMs?: number;
  subject?: string;
  /** Stop after this many records. */
  limit?: number;
}

/**
 * Yields the matching records oldest first, one row at a time, so a long period never sits in
 * memory. Drives from the (subject, ts_ms) index when a subject is given, else from ts_ms.
 */
export function* scanDecisions(db: Db, scan: DecisionScan): Generator<AuditRecordV1> {
  const where = ['path = @path'];
  const params: Record<string, string | number> = { path: scan.path };
  if (scan.subject !== undefined) {
    where.push('subject = @subject');
    params.subject = scan.subject;
  }
  if (scan.fromMs !== undefined) {
    where.push('ts_ms >= @fromMs');
    params.fromMs = scan.fromMs;
  }
  if (scan.toMs !== undefined) {
    where.push('ts_ms < @toMs');
    params.toMs = scan.toMs;
  }
  const limit = scan.limit === undefined ? '' : ' LIMIT @limit';
  if (scan.limit !== undefined) params.limit = scan.limit;
  const sql = `SELECT record FROM audit_records WHERE ${where.join(' AND ')} ORDER BY ts_ms, seq${limit}`;
  for (const row of db.prepare(sql).iterate(params) as Iterable<{ record: string }>) {
    yield JSON.parse(row.record) as AuditRecordV1;
  }
}
