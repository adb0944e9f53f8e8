import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { AuditRecordError } from './audit-errors';
import { auditRecordV1Schema, type AuditRecordV1 } from './audit-record';

// Compiled once at load. allErrors off: the first problem is enough to refuse, and it is cheaper per append.
const ajv = new Ajv({ strict: true, allowUnionTypes: true });
addFormats(ajv);
const validateAuditRecord = ajv.compile<AuditRecordV1>(auditRecordV1Schema);

// What `input.payload` may say about the payload: that it exists, its size, and finding counts.
const PAYLOAD_SUMMARY_KEYS = new Set(['present', 'chars', 'findings', 'categories', 'rules']);
// Three base64url segments starting with a JSON object: the shape of a compact JWS/JWT.
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;

/**
 * Returns normally if the record may be stored; throws AuditRecordError if it is malformed or
 * carries what the log must never hold. The pipeline already strips payloads and tokens: this
 * is a cheap second line that turns such a bug into a loud failure instead of a leak.
 */
export function assertAuditRecord(record: unknown): asserts record is AuditRecordV1 {
  if (!validateAuditRecord(record)) {
    const problems = (validateAuditRecord.errors ?? []).map((e) => ({
      pointer: e.instancePath || '/',
      message: e.message,
    }));
    const summary = problems.map((p) => `${p.pointer} ${p.message ?? 'is invalid'}`).join('; ');
    throw new AuditRecordError(summary, { details: problems });
  }
  const payload = (record.input as { payload?: unknown } | null)?.payload;
  if (payload !== undefined && payload !== null) {
    if (typeof payload !== 'object' || Array.isArray(payload)) {
      throw new AuditRecordError('input.payload must be a summary object, never the payload itself');
    }
    const extra = Object.keys(payload).filter((key) => !PAYLOAD_SUMMARY_KEYS.has(key));
    if (extra.length > 0) {
      // Name the keys, never their values: those may be the very text that must not be stored.
      throw new AuditRecordError(
        `input.payload may hold only present, chars, findings, categories, rules; found ${extra.join(', ')}`,
      );
    }
  }
  if (record.token_id !== null && JWT_SHAPE.test(record.token_id)) {
    throw new AuditRecordError(
      'token_id looks like a JWT; record the jti or sha256:<hex> of its signed part',
    );
  }
}
