import { AuditRecordError } from './audit-errors';
import type { AuditRecordV1 } from './audit-record';
import { assertAuditRecord } from './assert-audit-record';
import { canonicalJson } from './canonical-json';
import type { PreparedRecord } from './chain-writer';
import { privilegeFact } from './privilege-facts';
import { recordColumns, reasonRows } from './record-columns';

/**
 * Returns a record checked and serialised, ready to be chained; throws AuditRecordError for this record
 * alone. Done per record before it joins a batch, so a record that cannot be stored (or that would
 * exhaust the stack of whatever copies it) fails on its own and never takes its batch down with it.
 */
export function prepareRecord(record: AuditRecordV1): PreparedRecord {
  try {
    assertAuditRecord(record);
    // Serialised now: a caller that mutates the object afterwards cannot change what gets hashed.
    return preparedRecord(record, canonicalJson(record));
  } catch (err) {
    throw err instanceof AuditRecordError
      ? err
      : new AuditRecordError((err as Error).message, { cause: err });
  }
}

/** Returns what the chain writer stores of a record whose canonical JSON is `json` (already checked). */
export function preparedRecord(record: AuditRecordV1, json: string): PreparedRecord {
  return { json, columns: recordColumns(record), reasons: reasonRows(record), facts: privilegeFact(record) };
}
