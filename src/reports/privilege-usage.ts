import type { Db } from '../audit/database';

/** What one subject did in the period, from its recorded /v1/decide decisions. */
export interface SubjectUsage {
  allowed: number;
  denied: number;
  /** Allowed calls per model, operation, purpose (null: none declared) and tool. */
  models: Map<string, number>;
  operations: Map<string, number>;
  purposes: Map<string, number>;
  tools: Map<string, number>;
  /** Highest tokens_last_day an allowed call saw, plus what that call committed (prompt + output). */
  peakDailyTokens: number;
  /** Highest requests_last_minute an allowed call saw, plus the call itself. */
  peakRequestsPerMinute: number;
  /** Largest max_tokens an allowed call asked for. */
  peakCallTokens: number;
  lastUsed: string | null;
  /** Denials for a missing grant: "reason value" → count (e.g. "model_not_allowed openai.gpt-4o"). */
  missing: Map<string, number>;
}

/** The reason codes of the default policy that mean "not granted", and the field they are about. */
export const MISSING_GRANT_REASONS: Record<string, 'model' | 'operation' | 'purpose' | 'tools'> = {
  model_not_allowed: 'model',
  operation_not_allowed: 'operation',
  purpose_not_allowed: 'purpose',
  tool_not_allowed: 'tools',
  actor_not_allowed: 'tools',
};

interface Range {
  fromMs?: number;
  toMs?: number;
  subject?: string;
}

/**
 * Returns each subject's usage in the period. SQLite does the aggregation (the JSON fields are read
 * by json_extract in C, grouped before they reach JavaScript), driven by the (outcome, ts_ms) index
 * for allowed calls and the (reason, ts_ms, seq) index for denials, so a million-record log is a
 * few seconds and memory holds only the groups.
 */
export function readPrivilegeUsage(db: Db, range: Range): Map<string, SubjectUsage> {
  const params: Record<string, string | number> = {};
  const where = (key: 'r' | 'x') => {
    const parts: string[] = [];
    if (range.fromMs !== undefined) {
      parts.push(`${key}.ts_ms >= @fromMs`);
      params.fromMs = range.fromMs;
    }
    if (range.toMs !== undefined) {
      parts.push(`${key}.ts_ms < @toMs`);
      params.toMs = range.toMs;
    }
    if (range.subject !== undefined) {
      parts.push('r.subject = @subject');
      params.subject = range.subject;
    }
    return parts.map((p) => ` AND ${p}`).join('');
  };
  const usage = new Map<string, SubjectUsage>();
  const of = (subject: string) => {
    let entry = usage.get(subject);
    if (!entry) {
      entry = {
        allowed: 0,
        denied: 0,
        models: new Map(),
        operations: new Map(),
        purposes: new Map(),
        tools: new Map(),
        peakDailyTokens: 0,
        peakRequestsPerMinute: 0,
        peakCallTokens: 0,
        lastUsed: null,
        missing: new Map(),
      };
      usage.set(subject, entry);
    }
    return entry;
  };

  const allowed = db.prepare(`
    SELECT r.subject, r.model, r.operation, r.purpose,
           json_extract(r.record, '$.input.invocation.tools') AS tools,
           count(*) AS n,
           max(coalesce(json_extract(r.record, '$.input.usage.tokens_last_day'), 0)
               + coalesce(json_extract(r.record, '$.input.invocation.input_tokens'), 0)
               + coalesce(json_extract(r.record, '$.max_tokens'), 0)) AS peak_day,
           max(coalesce(json_extract(r.record, '$.input.usage.requests_last_minute'), 0)) + 1 AS peak_rpm,
           max(coalesce(json_extract(r.record, '$.input.invocation.max_tokens'), 0)) AS peak_call,
           max(r.ts_ms) AS last_ms
    FROM audit_records r
    WHERE r.outcome = 'allowed' AND r.path = '/v1/decide' AND r.subject IS NOT NULL${where('r')}
    GROUP BY r.subject, r.model, r.operation, r.purpose, tools`);
  for (const row of allowed.iterate(params) as Iterable<AllowedRow>) {
    const entry = of(row.subject);
    entry.allowed += row.n;
    add(entry.models, row.model, row.n);
    add(entry.operations, row.operation, row.n);
    add(entry.purposes, row.purpose, row.n);
    for (const tool of toolNames(row.tools)) add(entry.tools, tool, row.n);
    entry.peakDailyTokens = Math.max(entry.peakDailyTokens, row.peak_day);
    entry.peakRequestsPerMinute = Math.max(entry.peakRequestsPerMinute, row.peak_rpm);
    entry.peakCallTokens = Math.max(entry.peakCallTokens, row.peak_call);
    const last = new Date(row.last_ms).toISOString();
    if (entry.lastUsed === null || last > entry.lastUsed) entry.lastUsed = last;
  }

  const denied = db.prepare(`
    SELECT r.subject, count(*) AS n FROM audit_records r
    WHERE r.outcome = 'denied' AND r.path = '/v1/decide' AND r.subject IS NOT NULL${where('r')}
    GROUP BY r.subject`);
  for (const row of denied.iterate(params) as Iterable<{ subject: string; n: number }>)
    of(row.subject).denied = row.n;

  const reasons = Object.keys(MISSING_GRANT_REASONS);
  const missing = db.prepare(`
    SELECT r.subject, x.reason, r.model, r.operation, r.purpose,
           json_extract(r.record, '$.input.invocation.tools') AS tools, count(*) AS n
    FROM audit_reasons x JOIN audit_records r ON r.seq = x.seq
    WHERE x.reason IN (${reasons.map((_, i) => `@reason${i}`).join(', ')})
      AND r.path = '/v1/decide' AND r.subject IS NOT NULL${where('x')}
    GROUP BY r.subject, x.reason, r.model, r.operation, r.purpose, tools`);
  reasons.forEach((reason, i) => (params[`reason${i}`] = reason));
  for (const row of missing.iterate(params) as Iterable<MissingRow>) {
    const field = MISSING_GRANT_REASONS[row.reason];
    if (field === undefined) continue;
    const values = field === 'tools' ? toolNames(row.tools) : [row[field] ?? '(none)'];
    for (const value of values) add(of(row.subject).missing, `${row.reason} ${value}`, row.n);
  }
  return usage;
}

interface AllowedRow {
  subject: string;
  model: string | null;
  operation: string | null;
  purpose: string | null;
  tools: string | null;
  n: number;
  peak_day: number;
  peak_rpm: number;
  peak_call: number;
  last_ms: number;
}

interface MissingRow {
  subject: string;
  reason: string;
  model: string | null;
  operation: string | null;
  purpose: string | null;
  tools: string | null;
  n: number;
}

function add(map: Map<string, number>, key: string | null, n: number): void {
  if (key === null) return;
  map.set(key, (map.get(key) ?? 0) + n);
}

function toolNames(json: string | null): string[] {
  if (json === null) return [];
  const tools = JSON.parse(json) as { name?: unknown }[];
  return Array.isArray(tools)
    ? tools.map((t) => t.name).filter((n): n is string => typeof n === 'string')
    : [];
}
