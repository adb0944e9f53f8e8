import type { AuditRecordV1 } from '../audit/audit-record';
import type { DecisionCall } from './decision-deps';
import type { DecisionTrace } from './decision-trace';

/** The named steps of the decision path that are timed (DESIGN.md, "The path of one decision"). */
export type DecisionStage = 'identity' | 'validate' | 'screen' | 'usage' | 'evaluate' | 'record';

/** The stages in path order. */
export const DECISION_STAGES: readonly DecisionStage[] = [
  'identity',
  'validate',
  'screen',
  'usage',
  'evaluate',
  'record',
];

/** One timed stage: start and end on the performance.now() clock, in milliseconds. */
export interface StageSpan {
  stage: DecisionStage;
  startMs: number;
  endMs: number;
}

/** Stage timings of one decision: each mark closes a stage that began where the previous one ended. */
export interface StageTimings {
  lastMs: number;
  spans: StageSpan[];
}

/** One finished decision, as observers see it once it is recorded (or could not be). */
export interface DecidedEvent {
  call: DecisionCall;
  trace: DecisionTrace;
  record: AuditRecordV1;
  /** False when the audit log refused it: the caller got 503 audit_unavailable instead. */
  recorded: boolean;
}

/** Something that watches decisions (metrics, decision log lines, traces); must never throw. */
export interface DecisionObserver {
  decided(event: DecidedEvent): void;
}

/** Returns fresh stage timings starting now. */
export function startStages(): StageTimings {
  return { lastMs: performance.now(), spans: [] };
}

/** Closes `stage` at this moment: it began where the previous stage ended. No-op without timings. */
export function markStage(trace: DecisionTrace, stage: DecisionStage): void {
  const timings = trace.stages;
  if (!timings) return;
  const now = performance.now();
  timings.spans.push({ stage, startMs: timings.lastMs, endMs: now });
  timings.lastMs = now;
}

/** Starts the next stage now, leaving the time since the last mark out of every stage (a failed step). */
export function restartStage(trace: DecisionTrace): void {
  if (trace.stages) trace.stages.lastMs = performance.now();
}

/** Returns one observer that tells each given one in turn; a throwing observer is logged, never fatal. */
export function allObservers(
  observers: (DecisionObserver | undefined)[],
  onError: (err: unknown) => void,
): DecisionObserver | undefined {
  const list = observers.filter((o): o is DecisionObserver => o !== undefined);
  if (list.length === 0) return undefined;
  return {
    decided(event: DecidedEvent): void {
      for (const observer of list) {
        try {
          observer.decided(event);
        } catch (err) {
          onError(err);
        }
      }
    },
  };
}
