import type { AuditRecordV1 } from './audit-record';

/** The queryable columns of audit_records, all derived from the hashed record. */
export interface RecordColumns {
  decision_id: string;
  ts_ms: number;
  path: string;
  outcome: string;
  status: number;
  subject: string | null;
  issuer: string | null;
  actor: string | null;
  token_id: string | null;
  model: string | null;
  provider: string | null;
  operation: string | null;
  purpose: string | null;
}

/** The derived column names, in table order. */
export const RECORD_COLUMN_NAMES: readonly (keyof RecordColumns)[] = [
  'decision_id',
  'ts_ms',
  'path',
  'outcome',
  'status',
  'subject',
  'issuer',
  'actor',
  'token_id',
  'model',
  'provider',
  'operation',
  'purpose',
];

/** Returns the column values a record is stored and indexed under. */
export function recordColumns(record: AuditRecordV1): RecordColumns {
  return {
    decision_id: record.decision_id,
    ts_ms: Date.parse(record.timestamp),
    path: record.path,
    outcome: record.outcome,
    status: record.status,
    subject: record.subject,
    issuer: record.issuer,
    actor: record.actor,
    token_id: record.token_id,
    model: record.model,
    provider: record.provider,
    operation: record.operation,
    purpose: record.purpose,
  };
}

/** Returns the distinct reason codes of a record, sorted: the rows it has in audit_reasons. */
export function reasonRows(record: AuditRecordV1): string[] {
  return [...new Set(record.reasons)].sort();
}
