import type { AuditRecordV1 } from './audit-record';
import { chainHash } from './hash-chain';
import { RECORD_COLUMN_NAMES, recordColumns, reasonRows, type RecordColumns } from './record-columns';

/** A row of audit_records as verify reads it, with its reason index rows as JSON [[reason, ts_ms], ...]. */
export type ChainRow = RecordColumns & {
  seq: number;
  record: string;
  prev_hash: string;
  hash: string;
  reason_rows?: string;
};

/** Returns whether the row's hash matches its own prev_hash and record, were it at `seq`. */
export function hashesAt(row: ChainRow, seq: number): boolean {
  return chainHash(row.prev_hash, seq, row.record) === row.hash;
}

/**
 * Returns why the row's derived columns or reason index disagree with its hashed record, or null.
 * Without this an attacker could hide a record from filtered queries by editing only an index column.
 */
export function derivedDisagreement(row: ChainRow): string | null {
  let record: AuditRecordV1;
  try {
    record = JSON.parse(row.record) as AuditRecordV1;
  } catch {
    return 'its record is not valid JSON';
  }
  // Whoever can write the file can hash anything: a record of the wrong shape is a finding, not a crash.
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return 'its record is not a JSON object';
  }
  const expected = recordColumns(record);
  for (const column of RECORD_COLUMN_NAMES) {
    if (row[column] !== expected[column]) {
      return `column ${column} is ${JSON.stringify(row[column])} but the hashed record says ${JSON.stringify(expected[column])}`;
    }
  }
  if (row.reason_rows !== undefined) {
    if (!Array.isArray(record.reasons)) return 'its record has no list of reasons';
    const want = JSON.stringify(reasonRows(record).map((reason) => [reason, expected.ts_ms]));
    const have = JSON.stringify(JSON.parse(row.reason_rows ?? '[]'));
    if (want !== have) return `its reason index rows ${have} disagree with the hashed record (${want})`;
  }
  return null;
}
