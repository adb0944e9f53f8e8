import type { Logger } from 'pino';
import type { DecidedEvent, DecisionObserver } from '../decision/decision-observer';

/** The pino level of decision lines, or off. */
export type DecisionLineLevel = 'info' | 'debug' | 'trace' | 'off';

/**
 * Returns an observer that writes one JSON line per decision. Only fields that are safe in any log
 * pipeline go out: ids, the verified subject, the outcome and reason codes, latency, the bundle, and
 * the screened finding counts. Never the payload, the token, the policy input, the caller's context
 * or the policy's raw result (a policy may echo input into it).
 */
export function decisionLogLines(logger: Logger, level: DecisionLineLevel): DecisionObserver | undefined {
  if (level === 'off') return undefined;
  return {
    decided(event: DecidedEvent): void {
      if (!logger.isLevelEnabled(level)) return;
      logger[level](decisionLine(event), 'decision');
    },
  };
}

/** Returns the fields of one decision line (see decisionLogLines for what is left out and why). */
export function decisionLine(event: DecidedEvent): Record<string, unknown> {
  const { record, call } = event;
  const payload = (record.input as { payload?: { findings?: unknown } } | null)?.payload;
  return {
    decision_id: record.decision_id,
    request_id: call.requestId,
    trace_id: call.traceContext?.traceId,
    path: record.path,
    outcome: event.recorded ? record.outcome : 'rejected',
    status: event.recorded ? record.status : 503,
    recorded: event.recorded,
    subject: record.subject,
    issuer: record.issuer,
    actor: record.actor,
    model: record.model,
    operation: record.operation,
    reasons: event.recorded ? record.reasons : ['audit_unavailable'],
    findings: payload?.findings,
    latency_ms: record.latency_ms,
    bundle: record.bundle?.name,
    revision: record.bundle?.revision,
  };
}
