import type { Statement } from 'better-sqlite3';
import type { Db } from '../audit/database';
import type { Approval } from './approval';
import { APPROVAL_COLUMNS, fromRow, listParams, toRow, type ApprovalRow as Row } from './approval-row';
import type { AuditRecordV1 } from '../audit/audit-record';
import { RecordConditionError } from '../audit/audit-errors';
import type {
  ApprovalFilter,
  ApprovalStore,
  ApprovalVerdict,
  CreatedPending,
  ApprovalChange,
  ApprovalLog,
} from './approval-store';

const COLUMNS = APPROVAL_COLUMNS.join(', ');

const EXPIRE = `UPDATE approvals SET status = 'expired'
  WHERE id = ? AND status IN ('pending', 'approved') AND expires_ms <= ?`;

// One statement: the count and the insert cannot interleave with another request's. The partial unique index
// makes "one pending approval per binding" hold across connections too.
const INSERT_PENDING = `INSERT INTO approvals (${COLUMNS})
  SELECT ${APPROVAL_COLUMNS.map((c) => `@${c}`).join(', ')}
   WHERE (SELECT count(*) FROM approvals
           WHERE status = 'pending' AND requester_issuer = @requester_issuer
             AND requester_subject = @requester_subject AND expires_ms > @created_ms) < @max_pending
  ON CONFLICT (binding) WHERE status = 'pending' DO NOTHING`;

/**
 * Approvals in the service's SQLite file, on the main thread's connection. Writes are rare (one per
 * human action, one per request that needs an approval, one per use of a grant) and each is one
 * short statement, so they run here rather than on the audit writer thread. Verdicts and new approvals are the
 * exception: given
 * the audit log as an ApprovalLog, decideRecorded and createRecorded make them on the writer thread, in their
 * record's transaction.
 */
export class SqliteApprovalStore implements ApprovalStore {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly approvalLog?: ApprovalLog,
  ) {}

  async get(id: string): Promise<Approval | null> {
    const row = this.statement(`SELECT ${COLUMNS} FROM approvals WHERE id = ?`).get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async findPending(binding: string): Promise<Approval | null> {
    const row = this.statement(
      `SELECT ${COLUMNS} FROM approvals WHERE binding = ? AND status = 'pending'`,
    ).get(binding) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async createPending(
    approval: Approval,
    maxPendingOfSubject = Number.MAX_SAFE_INTEGER,
  ): Promise<CreatedPending> {
    const inserted = this.statement(INSERT_PENDING).run({
      ...toRow(approval),
      max_pending: maxPendingOfSubject,
    });
    if (inserted.changes === 1) return { approval, created: true };
    return { approval: await this.findPending(approval.binding), created: false };
  }

  async list(filter: ApprovalFilter): Promise<Approval[]> {
    const where = filter.status ? 'status = @status AND ' : '';
    const rows = this.statement(
      `SELECT ${COLUMNS} FROM approvals
        WHERE ${where}(created_ms < @created_ms OR (created_ms = @created_ms AND id < @id))
        ORDER BY created_ms DESC, id DESC LIMIT @limit`,
    ).all({ ...listParams(filter), ...(filter.status && { status: filter.status }) }) as Row[];
    return rows.map(fromRow);
  }

  async decide(id: string, verdict: ApprovalVerdict): Promise<boolean> {
    return applyVerdict(this.db, id, verdict);
  }

  async decideRecorded(id: string, verdict: ApprovalVerdict, record: AuditRecordV1): Promise<boolean> {
    return this.recordChange(record, { kind: 'verdict', id, verdict });
  }

  async createRecorded(
    approval: Approval,
    maxPending: number,
    record: AuditRecordV1,
  ): Promise<CreatedPending> {
    if (await this.recordChange(record, { kind: 'create', row: toRow(approval), maxPending })) {
      return { approval, created: true };
    }
    return { approval: await this.findPending(approval.binding), created: false };
  }

  // Makes the change in its record's transaction on the writer thread; false when it could not be made.
  private async recordChange(record: AuditRecordV1, change: ApprovalChange): Promise<boolean> {
    if (!this.approvalLog)
      throw new TypeError('SqliteApprovalStore needs the audit log for this (compose.ts)');
    try {
      await this.approvalLog.appendWithChange(record, change);
      return true;
    } catch (err) {
      if (err instanceof RecordConditionError) return false;
      throw err;
    }
  }

  async consume(id: string, nowMs: number): Promise<number | null> {
    const row = this.statement(
      `UPDATE approvals SET uses_left = uses_left - 1,
              status = CASE WHEN uses_left = 1 THEN 'used_up' ELSE status END
        WHERE id = ? AND status = 'approved' AND uses_left > 0 AND expires_ms > ?
        RETURNING uses_left`,
    ).get(id, nowMs) as { uses_left: number } | undefined;
    return row ? row.uses_left : null;
  }

  async expire(id: string, nowMs: number): Promise<boolean> {
    return this.statement(EXPIRE).run(id, nowMs).changes === 1;
  }

  async expireRecorded(id: string, nowMs: number, record: AuditRecordV1): Promise<boolean> {
    return this.recordChange(record, { kind: 'expire', id, nowMs });
  }

  async due(nowMs: number, limit: number): Promise<Approval[]> {
    const rows = this.statement(
      `SELECT ${COLUMNS} FROM approvals INDEXED BY approvals_live
        WHERE status IN ('pending', 'approved') AND expires_ms <= ? ORDER BY expires_ms LIMIT ?`,
    ).all(nowMs, limit) as Row[];
    return rows.map(fromRow);
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Returns an ApprovalLog over an audit store that writes on `db` itself (not through the writer thread): each
 * change is made in the transaction of its record there.
 */
export function inlineApprovalLog(
  audit: { appendIf(record: AuditRecordV1, condition: () => boolean): Promise<void> },
  db: Db,
): ApprovalLog {
  return { appendWithChange: (record, change) => audit.appendIf(record, () => applyChange(db, change)) };
}

/**
 * Makes an approval change on the connection given (the writer thread's, inside the transaction of the change's
 * audit record); returns false when it cannot be made: the approval was not pending (or not due), or a new one
 * was not created (one is pending for its binding, or its subject is at the limit).
 */
export function applyChange(db: Db, change: ApprovalChange): boolean {
  if (change.kind === 'verdict') return applyVerdict(db, change.id, change.verdict);
  if (change.kind === 'expire') return db.prepare(EXPIRE).run(change.id, change.nowMs).changes === 1;
  return db.prepare(INSERT_PENDING).run({ ...change.row, max_pending: change.maxPending }).changes === 1;
}

/**
 * Applies a verdict to a pending approval in time (compare-and-set); returns false when it was not. Runs on the
 * connection given: the writer thread's, inside the transaction of the verdict's audit record.
 */
function applyVerdict(db: Db, id: string, verdict: ApprovalVerdict): boolean {
  const expiresMs = verdict.status === 'approved' ? verdict.expiresMs : null;
  const changed = db
    .prepare(
      `UPDATE approvals SET status = ?, decided_by = ?, decided_ms = ?, comment = ?,
              expires_ms = COALESCE(?, expires_ms), uses_left = CASE WHEN ? = 'denied' THEN 0 ELSE uses_left END
        WHERE id = ? AND status = 'pending' AND expires_ms > ?`,
    )
    .run(
      verdict.status,
      verdict.by,
      verdict.atMs,
      verdict.comment,
      expiresMs,
      verdict.status,
      id,
      verdict.atMs,
    );
  return changed.changes === 1;
}
