import type { AuditRecordV1 } from './audit-record';
import { promptTokens } from '../usage/prompt-tokens';
import { canonicalJson } from './canonical-json';

/**
 * What a decision adds to audit_privilege_facts besides the columns its record is stored under (seq,
 * ts_ms, subject, outcome, model, operation, purpose). See audit-migrations.ts for the table.
 */
export interface PrivilegeFact {
  /** JSON array of {name}, as requested; null when the call named no tools. */
  tools: string | null;
  /** JSON array of reason codes, denied decisions only. */
  reasons: string | null;
  /**
   * tokens_last_day the call saw + its prompt as the policy counts it (the input_tokens it declared, at least a
   * token per four characters of payload: promptTokens) + the max_tokens it was granted.
   */
  day_tokens: number;
  /** requests_last_minute the call saw (itself excluded). */
  minute_calls: number;
  /** max_tokens the call asked for. */
  call_tokens: number;
}

interface FactInput {
  invocation?: { tools?: unknown; input_tokens?: unknown; max_tokens?: unknown } | null;
  usage?: { tokens_last_day?: unknown; requests_last_minute?: unknown } | null;
  payload?: { chars?: unknown } | null;
}

/**
 * Returns a record's privilege fact, or null when it has none: only an allowed or denied /v1/decide
 * decision of a known subject does. The values are the ones audit migration 3 computed from stored
 * records in SQL (test/reports/privilege-facts.test.ts holds the two equal); the chain writer computes
 * them here, from the record as an object, instead of a trigger parsing its JSON once more per append.
 */
export function privilegeFact(record: AuditRecordV1): PrivilegeFact | null {
  if (record.path !== '/v1/decide' || record.subject === null) return null;
  if (record.outcome !== 'allowed' && record.outcome !== 'denied') return null;
  const input = record.input as FactInput | null;
  const invocation = input?.invocation ?? undefined;
  const usage = input?.usage ?? undefined;
  return {
    tools:
      invocation?.tools === undefined || invocation.tools === null ? null : canonicalJson(invocation.tools),
    reasons: record.outcome === 'denied' ? canonicalJson(record.reasons) : null,
    // The prompt as the policy counted it against daily_tokens: a caller that declared no input_tokens but sent
    // its prompt as payload committed those tokens too, and a budget cut below them would deny the call.
    day_tokens:
      count(usage?.tokens_last_day) +
      count(promptTokens(invocation?.input_tokens, input?.payload?.chars)) +
      count(record.max_tokens),
    minute_calls: count(usage?.requests_last_minute),
    call_tokens: count(invocation?.max_tokens),
  };
}

// A count the record lacks (or, were it ever so, holds as something else) adds nothing; the columns are
// INTEGER in a STRICT table, and a fact that could not be stored would fail the whole batch it is in.
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}
