import type { Pool, PoolClient } from 'pg';
import { RecordConditionError } from '../audit/audit-errors';
import type { AuditRecordV1 } from '../audit/audit-record';
import type { Approval } from '../approvals/approval';
import {
  APPROVAL_COLUMNS,
  fromRow,
  listParams,
  toRow,
  type ApprovalRow as Row,
} from '../approvals/approval-row';
import type {
  ApprovalFilter,
  ApprovalStore,
  ApprovalVerdict,
  CreatedPending,
} from '../approvals/approval-store';
import { withClient } from './pg-pool';
import type { PgCondition } from './postgres-audit-store';

/** The audit log, for changes made in the transaction of their record (PostgresAuditStore). */
export interface PgRecordLog {
  appendIf(record: AuditRecordV1, condition: PgCondition): Promise<void>;
}

type Queryable = Pool | PoolClient;

const COLUMNS = APPROVAL_COLUMNS.join(', ');
const INSERT = `INSERT INTO approvals (${COLUMNS}) VALUES (${APPROVAL_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (binding) WHERE status = 'pending' DO NOTHING`;
// The expression is approval migration 2's index: a subject of any length fits it.
const COUNT_PENDING = `SELECT count(*)::int AS pending FROM approvals
  WHERE status = 'pending' AND md5(requester_issuer || ' ' || requester_subject) = md5($1 || ' ' || $2)
    AND requester_issuer = $1 AND requester_subject = $2 AND expires_ms > $3`;
// First key of the two-key advisory lock: "MGAP"; the second is hashtext(issuer and subject).
const APPROVAL_LOCK = 0x4d474150;

/**
 * Approvals in PostgreSQL, shared by every replica. Each change is one statement whose WHERE clause
 * is the compare-and-set (as in SqliteApprovalStore), so two replicas cannot both decide one request
 * or spend the same use: PostgreSQL re-checks the condition on the row it locks.
 * The pool's int8 parser (createPgPool) returns bigint columns as numbers. Given the audit log, new approvals,
 * verdicts and expiries are made in the transaction of their audit record: both or neither.
 */
export class PgApprovalStore implements ApprovalStore {
  constructor(
    private readonly pool: Pool,
    private readonly log?: PgRecordLog,
  ) {}

  async get(id: string): Promise<Approval | null> {
    return this.one(`SELECT ${COLUMNS} FROM approvals WHERE id = $1`, [id]);
  }

  async findPending(binding: string): Promise<Approval | null> {
    return this.one(`SELECT ${COLUMNS} FROM approvals WHERE binding = $1 AND status = 'pending'`, [binding]);
  }

  async createPending(
    approval: Approval,
    maxPendingOfSubject = Number.MAX_SAFE_INTEGER,
  ): Promise<CreatedPending> {
    const row = toRow(approval);
    const inserted = await withClient(this.pool, async (client) => {
      await client.query('BEGIN');
      try {
        const added = await insertPending(client, row, maxPendingOfSubject);
        await client.query('COMMIT');
        return added;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    if (inserted) return { approval, created: true };
    return { approval: await this.findPending(approval.binding), created: false };
  }

  async list(filter: ApprovalFilter): Promise<Approval[]> {
    const { created_ms: createdMs, id, limit } = listParams(filter);
    const where = filter.status ? 'status = $4 AND ' : '';
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM approvals
        WHERE ${where}(created_ms < $1 OR (created_ms = $1 AND id < $2))
        ORDER BY created_ms DESC, id DESC LIMIT $3`,
      filter.status ? [createdMs, id, limit, filter.status] : [createdMs, id, limit],
    );
    return rows.map(fromRow);
  }

  async decide(id: string, verdict: ApprovalVerdict): Promise<boolean> {
    return applyVerdict(this.pool, id, verdict);
  }

  async decideRecorded(id: string, verdict: ApprovalVerdict, record: AuditRecordV1): Promise<boolean> {
    return this.recordChange(record, (client) => applyVerdict(client, id, verdict));
  }

  async createRecorded(
    approval: Approval,
    maxPending: number,
    record: AuditRecordV1,
  ): Promise<CreatedPending> {
    if (await this.recordChange(record, (client) => insertPending(client, toRow(approval), maxPending))) {
      return { approval, created: true };
    }
    return { approval: await this.findPending(approval.binding), created: false };
  }

  async expireRecorded(id: string, nowMs: number, record: AuditRecordV1): Promise<boolean> {
    return this.recordChange(record, (client) => expireDue(client, id, nowMs));
  }

  async consume(id: string, nowMs: number): Promise<number | null> {
    // SET reads the row's old values, as in SQLite: uses_left = 1 means this spends the last use.
    const { rows } = await this.pool.query<{ uses_left: number }>(
      `UPDATE approvals SET uses_left = uses_left - 1,
              status = CASE WHEN uses_left = 1 THEN 'used_up' ELSE status END
        WHERE id = $1 AND status = 'approved' AND uses_left > 0 AND expires_ms > $2
        RETURNING uses_left`,
      [id, nowMs],
    );
    return rows[0] ? rows[0].uses_left : null;
  }

  async expire(id: string, nowMs: number): Promise<boolean> {
    return expireDue(this.pool, id, nowMs);
  }

  async due(nowMs: number, limit: number): Promise<Approval[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM approvals
        WHERE status IN ('pending', 'approved') AND expires_ms <= $1 ORDER BY expires_ms LIMIT $2`,
      [nowMs, limit],
    );
    return rows.map(fromRow);
  }

  // Makes the change in its record's transaction; false when it could not be made.
  private async recordChange(record: AuditRecordV1, condition: PgCondition): Promise<boolean> {
    if (!this.log) throw new TypeError('PgApprovalStore needs the audit log for this (compose.ts)');
    try {
      await this.log.appendIf(record, condition);
      return true;
    } catch (err) {
      if (err instanceof RecordConditionError) return false;
      throw err;
    }
  }

  private async one(sql: string, params: unknown[]): Promise<Approval | null> {
    const { rows } = await this.pool.query<Row>(sql, params);
    return rows[0] ? fromRow(rows[0]) : null;
  }
}

// Inside a transaction: the advisory lock is held to its commit, so concurrent requests of one requester, on any
// replica, count one at a time. Returns whether the approval was inserted.
async function insertPending(client: PoolClient, row: Row, maxPending: number): Promise<boolean> {
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    APPROVAL_LOCK,
    `${row.requester_issuer} ${row.requester_subject}`,
  ]);
  const { rows } = await client.query<{ pending: number }>(COUNT_PENDING, [
    row.requester_issuer,
    row.requester_subject,
    row.created_ms,
  ]);
  if (rows[0]!.pending >= maxPending) return false;
  return (
    (
      await client.query(
        INSERT,
        APPROVAL_COLUMNS.map((c) => row[c]),
      )
    ).rowCount === 1
  );
}

async function applyVerdict(db: Queryable, id: string, verdict: ApprovalVerdict): Promise<boolean> {
  const expiresMs = verdict.status === 'approved' ? verdict.expiresMs : null;
  const changed = await db.query(
    `UPDATE approvals SET status = $1, decided_by = $2, decided_ms = $3, comment = $4,
            expires_ms = COALESCE($5::bigint, expires_ms),
            uses_left = CASE WHEN $1 = 'denied' THEN 0 ELSE uses_left END
      WHERE id = $6 AND status = 'pending' AND expires_ms > $3`,
    [verdict.status, verdict.by, verdict.atMs, verdict.comment, expiresMs, id],
  );
  return changed.rowCount === 1;
}

async function expireDue(db: Queryable, id: string, nowMs: number): Promise<boolean> {
  const changed = await db.query(
    `UPDATE approvals SET status = 'expired'
      WHERE id = $1 AND status IN ('pending', 'approved') AND expires_ms <= $2`,
    [id, nowMs],
  );
  return changed.rowCount === 1;
}
