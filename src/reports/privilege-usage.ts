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
 * Returns each subject's usage in the period, from audit_privilege_facts (audit migration 3): a
 * narrow row per allowed or denied /v1/decide decision, so SQLite groups a million of them in
 * seconds without reading a single hashed record. Memory holds only the groups.
 */
export function readPrivilegeUsage(db: Db, range: Range): Map<string, SubjectUsage> {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (range.fromMs !== undefined) {
    // The facts table is keyed by seq alone (every index there costs each write): the first seq of
    // the period comes from audit_records' ts_ms index, and the facts are read from it onwards.
    const first = db
      .prepare('SELECT min(seq) AS seq FROM audit_records WHERE ts_ms >= ?')
      .get(range.fromMs) as { seq: number | null };
    where.push('seq >= @fromSeq', 'ts_ms >= @fromMs');
    params.fromSeq = first.seq ?? Number.MAX_SAFE_INTEGER;
    params.fromMs = range.fromMs;
  }
  if (range.toMs !== undefined) {
    where.push('ts_ms < @toMs');
    params.toMs = range.toMs;
  }
  if (range.subject !== undefined) {
    where.push('subject = @subject');
    params.subject = range.subject;
  }
  const and = where.map((w) => ` AND ${w}`).join('');
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
    SELECT subject, model, operation, purpose, tools, count(*) AS n, max(day_tokens) AS peak_day,
           max(minute_calls) + 1 AS peak_rpm, max(call_tokens) AS peak_call, max(ts_ms) AS last_ms
    FROM audit_privilege_facts WHERE outcome = 'allowed'${and}
    GROUP BY subject, model, operation, purpose, tools`);
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
    SELECT subject, reasons, model, operation, purpose, tools, count(*) AS n
    FROM audit_privilege_facts WHERE outcome = 'denied'${and}
    GROUP BY subject, reasons, model, operation, purpose, tools`);
  for (const row of denied.iterate(params) as Iterable<DeniedRow>) {
    const entry = of(row.subject);
    entry.denied += row.n;
    for (const reason of JSON.parse(row.reasons ?? '[]') as string[]) {
      const field = MISSING_GRANT_REASONS[reason];
      if (field === undefined) continue;
      const values = field === 'tools' ? toolNames(row.tools) : [row[field] ?? '(none)'];
      for (const value of values) add(entry.missing, `${reason} ${value}`, row.n);
    }
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

interface DeniedRow {
  subject: string;
  reasons: string | null;
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
