import type { StoredAuditRecord } from './audit-store';

/**
 * Returns one JSONL line (with "\n") for a record. Field names follow OPA's decision log events
 * where one applies (decision_id, path, input, result, timestamp, bundles, labels, requested_by,
 * metrics), so tools that read OPA decision logs read these; modelgate's own fields follow.
 */
export function jsonlLine(record: StoredAuditRecord, labels: Record<string, string>): string {
  return `${JSON.stringify(decisionEvent(record, labels))}\n`;
}

/** Returns a record as a decision log event: OPA's field names first, modelgate's own fields after. */
export function decisionEvent(
  record: StoredAuditRecord,
  labels: Record<string, string>,
): Record<string, unknown> {
  return {
    decision_id: record.decision_id,
    labels,
    path: record.path,
    input: record.input,
    result: record.result,
    bundles: record.bundle ? { [record.bundle.name]: { revision: record.bundle.revision } } : {},
    requested_by: record.client_address ?? '',
    timestamp: record.timestamp,
    metrics: { timer_server_handler_ns: Math.round(record.latency_ms * 1e6) },
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
    reasons: record.reasons,
    obligations: record.obligations,
    max_tokens: record.max_tokens,
    latency_ms: record.latency_ms,
    seq: record.seq,
    prev_hash: record.prev_hash,
    hash: record.hash,
    // OPA's event schema has trace_id as a string when present: links a record lacks are left out.
    ...Object.fromEntries(Object.entries(lineageLinks(record)).filter(([, value]) => value !== null)),
  };
}

type CsvColumn = [name: string, value: (record: StoredAuditRecord) => unknown];
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/** The CSV columns, in order; JSON-valued columns hold JSON text, null is an empty field. */
export const CSV_COLUMNS: readonly CsvColumn[] = [
  ['seq', (r) => r.seq],
  ['decision_id', (r) => r.decision_id],
  ['timestamp', (r) => r.timestamp],
  ['path', (r) => r.path],
  ['outcome', (r) => r.outcome],
  ['status', (r) => r.status],
  ['subject', (r) => r.subject],
  ['issuer', (r) => r.issuer],
  ['actor', (r) => r.actor],
  ['token_id', (r) => r.token_id],
  ['model', (r) => r.model],
  ['provider', (r) => r.provider],
  ['operation', (r) => r.operation],
  ['purpose', (r) => r.purpose],
  ['reasons', (r) => json(r.reasons)],
  ['obligations', (r) => json(r.obligations)],
  ['max_tokens', (r) => r.max_tokens],
  ['bundle_name', (r) => r.bundle?.name ?? null],
  ['bundle_revision', (r) => r.bundle?.revision ?? null],
  ['latency_ms', (r) => r.latency_ms],
  ['client_address', (r) => r.client_address],
  ['input', (r) => json(r.input)],
  ['result', (r) => json(r.result)],
  ['prev_hash', (r) => r.prev_hash],
  ['hash', (r) => r.hash],
  ['parent_decision_id', (r) => lineageLinks(r).parent_decision_id],
  ['root_decision_id', (r) => lineageLinks(r).root_decision_id],
  ['session_id', (r) => lineageLinks(r).session_id],
  ['trace_id', (r) => lineageLinks(r).trace_id],
];

/**
 * Returns a record's lineage links (from input.lineage) as top-level export fields, so a SIEM can
 * join a chain of calls without parsing the input document; null where the decision has none.
 */
export function lineageLinks(record: StoredAuditRecord): {
  parent_decision_id: string | null;
  root_decision_id: string | null;
  session_id: string | null;
  trace_id: string | null;
} {
  const lineage = (record.input as { lineage?: Record<string, string | null> } | null)?.lineage;
  return {
    parent_decision_id: lineage?.parent_id ?? null,
    root_decision_id: lineage?.root_id ?? null,
    session_id: lineage?.session_id ?? null,
    trace_id: lineage?.trace_id ?? null,
  };
}

/** Returns the CSV header line (CRLF-terminated, RFC 4180). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`;
}

/** Returns one CSV line (CRLF-terminated, RFC 4180) for a record. */
export function csvLine(record: StoredAuditRecord): string {
  return `${CSV_COLUMNS.map(([, value]) => csvField(value(record))).join(',')}\r\n`;
}

/**
 * Returns a value as an RFC 4180 field: quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Values are never altered otherwise: an audit export must say exactly what was recorded, so spreadsheet
 * formula prefixes (=, +, -, @) are not escaped either; import such files as text.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
