import { createHash } from 'node:crypto';
import type { AuditRecordV1 } from './audit-record';
import { canonicalJson } from './canonical-json';

/** How much of a caller-controlled value one record keeps; beyond it, the length and a hash. */
export interface RecordLimits {
  /** Canonical JSON bytes of `input.context` kept as is. */
  contextBytes: number;
  /** Canonical JSON bytes of `input.subject.claims` kept as is. */
  claimsBytes: number;
  /** Canonical JSON bytes of the whole `input`, and of `result`, kept as is. */
  documentBytes: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = {
  contextBytes: 4096,
  claimsBytes: 4096,
  documentBytes: 65_536,
};

// The record schema's maxLength per string column (audit-record.ts); a longer value keeps this many characters.
const STRING_FIELDS = {
  path: 512,
  subject: 2048,
  issuer: 2048,
  actor: 2048,
  token_id: 2048,
  model: 2048,
  provider: 2048,
  operation: 2048,
  purpose: 2048,
  client_address: 2048,
} as const;
const STRING_FIELD_LIMITS = Object.entries(STRING_FIELDS);
/** The record's string columns, each of which boundRecord may shorten. */
export const STRING_COLUMNS = Object.keys(STRING_FIELDS) as (keyof typeof STRING_FIELDS)[];
const KEPT_PREFIX_CHARS = 256;

type Truncated = NonNullable<AuditRecordV1['truncated']>;

/**
 * Returns the record with every caller-controlled field within what the audit log stores: strings
 * beyond their column's length keep a prefix, objects beyond their byte limit become a marker (a whole input keeps
 * the figures its budget is rebuilt from), and
 * each such field is listed in `truncated` with the whole value's length and SHA-256. A value of the
 * wrong type (the Data API passes `invocation` through unchecked) is stored as its JSON text.
 * Runs on the request path, before the record joins a batch, so no caller can make its record unstorable.
 */
export function boundRecord(
  record: AuditRecordV1,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): AuditRecordV1 {
  const truncated: Truncated = {};
  const out: Record<string, unknown> = { ...record };
  for (const [field, max] of STRING_FIELD_LIMITS) {
    out[field] = boundString(field, (record as Record<string, unknown>)[field], max, truncated);
  }
  out.input = boundInput(record.input, limits, truncated);
  out.result = boundDocument('result', record.result, limits.documentBytes, truncated);
  if (Object.keys(truncated).length > 0) out.truncated = { ...record.truncated, ...truncated };
  return out as AuditRecordV1;
}

function boundString(field: string, value: unknown, max: number, truncated: Truncated): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : jsonText(value);
  if (text.length <= max) return text;
  truncated[field] = fingerprint(text);
  return `${text.slice(0, Math.min(KEPT_PREFIX_CHARS, max - 1))}…`;
}

function boundInput(input: unknown, limits: RecordLimits, truncated: Truncated): unknown {
  if (!isObject(input)) return boundDocument('input', input, limits.documentBytes, truncated);
  // The usual case, one serialisation: an input within the smallest limit has no part beyond its own.
  if (jsonBytes(input) <= Math.min(limits.contextBytes, limits.claimsBytes, limits.documentBytes)) {
    return input;
  }
  const out: Record<string, unknown> = { ...input };
  if (input.context !== undefined) {
    out.context = boundDocument('input.context', input.context, limits.contextBytes, truncated);
  }
  if (isObject(input.subject) && input.subject.claims !== undefined) {
    const claims = boundDocument('input.subject.claims', input.subject.claims, limits.claimsBytes, truncated);
    out.subject = { ...input.subject, claims };
  }
  const bounded = boundDocument('input', out, limits.documentBytes, truncated);
  return typeof bounded === 'string' ? (budgetFigures(input) ?? bounded) : bounded;
}

// What an input over its limit keeps: the figures an allowed decision's reservation is read back from
// (usage-ledger.ts, prompt-tokens.ts). Without them a restart rebuilt the budget without the call's prompt tokens.
function budgetFigures(input: Record<string, unknown>): Record<string, unknown> | undefined {
  const inputTokens = isObject(input.invocation) ? input.invocation.input_tokens : undefined;
  const chars = isObject(input.payload) ? input.payload.chars : undefined;
  const kept: Record<string, unknown> = {};
  if (isFiniteNumber(inputTokens)) kept.invocation = { input_tokens: inputTokens };
  if (isFiniteNumber(chars)) kept.payload = { chars };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Returns a value as a record keeps it under a byte limit: as it is, or the marker `[truncated: N bytes]`. */
export function boundValue(value: unknown, maxBytes: number): unknown {
  return boundDocument('value', value, maxBytes, {});
}

function boundDocument(path: string, value: unknown, maxBytes: number, truncated: Truncated): unknown {
  if (value === undefined || value === null) return value ?? null;
  if (jsonBytes(value) <= maxBytes) return value;
  truncated[path] = fingerprint(jsonText(value));
  // The hash stays in `truncated` only: hex in the marker could read as a secret to screening.
  return `[truncated: ${truncated[path]!.bytes} bytes]`;
}

// Canonical JSON when the value has one; a value that has none (which strict parsing and claim checks
// keep out) is still recorded, as a description, rather than making the whole record unstorable.
function jsonText(value: unknown): string {
  try {
    return typeof value === 'string' ? value : canonicalJson(value);
  } catch (err) {
    return `[not JSON: ${(err as Error).message}]`;
  }
}

// Canonical JSON differs from JSON.stringify only in key order, so it has the same length; the native
// one is several times faster, and this runs for every decision.
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function fingerprint(text: string): { bytes: number; sha256: string } {
  return { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
