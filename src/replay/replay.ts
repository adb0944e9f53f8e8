import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AuditRecordV1 } from '../audit/audit-record';
import type { PolicyEngine } from '../policy/policy-engine';
import { compareOutcomes } from './compare-outcomes';
import { replayOutcome } from './replay-outcome';
import { ReplayTally, type ReplayReport } from './replay-report';

/** What to replay and against what. */
export interface ReplayRun {
  /** Recorded decisions, oldest first (scanDecisions). */
  records: Iterable<AuditRecordV1>;
  active: PolicyEngine;
  candidate: PolicyEngine;
  entrypoint: string;
  period: { from: string | null; to: string | null };
  subject: string | null;
  /** Replay at most this many records; give `records` one more, so the report knows it is truncated. */
  limit?: number;
  /** Give the event loop a turn every this many records (the server keeps answering). Default 200. */
  yieldEvery?: number;
  /** Called at each of those turns with the records read so far (the CLI shows them on a terminal). */
  onProgress?: (records: number) => void;
}

/**
 * Returns every difference between what the active and the candidate bundle decide for the
 * recorded input documents. The input is replayed as recorded, usage figures and clock included,
 * so budget and rate-limit rules see the usage of the time. Nothing is written anywhere: no
 * audit record, no usage reservation.
 */
export async function replay(run: ReplayRun): Promise<ReplayReport> {
  const tally = new ReplayTally();
  const every = run.yieldEvery ?? 200;
  let seen = 0;
  let truncated = false;
  for (const record of run.records) {
    seen += 1;
    if (run.limit !== undefined && seen > run.limit) {
      truncated = true;
      break;
    }
    if (seen % every === 0) {
      run.onProgress?.(seen);
      await yieldToLoop();
    }
    if (record.input === null || record.input === undefined) {
      tally.skipped += 1;
      continue;
    }
    if (inputWasCut(record)) {
      tally.addUnreplayable(record);
      continue;
    }
    const requested = requestedMaxTokens(record.input);
    const active = replayOutcome(run.active, record.input, run.entrypoint, requested);
    const candidate = replayOutcome(run.candidate, record.input, run.entrypoint, requested);
    tally.add(record, active, candidate, compareOutcomes(active, candidate));
  }
  return {
    active: { name: run.active.info.bundle, revision: run.active.info.revision },
    candidate: { name: run.candidate.info.bundle, revision: run.candidate.info.revision },
    period: run.period,
    subject: run.subject,
    replayed: tally.replayed,
    skipped: tally.skipped,
    changed: tally.changed,
    not_reproduced: tally.notReproduced,
    unreplayable: tally.unreplayable,
    unreplayable_examples: tally.unreplayableExamples,
    hashed_claims: [...tally.hashedClaims].sort(),
    counts: tally.counts,
    truncated,
    groups: tally.sortedGroups(),
    ungrouped_changes: tally.ungroupedChanges,
  };
}

// The record keeps a caller's context, claims or whole input only up to audit.*_bytes, and a marker past that
// (bound-record.ts), while the policy decided on the whole value: evaluating the marker would be evaluating
// another request, whose outcome says nothing about the candidate's.
function inputWasCut(record: AuditRecordV1): boolean {
  return Object.keys(record.truncated ?? {}).some((field) => field === 'input' || field.startsWith('input.'));
}

// The caller's max_tokens is part of the recorded invocation; cap_tokens is enforced against it.
function requestedMaxTokens(input: unknown): number | undefined {
  const invocation = (input as { invocation?: { max_tokens?: unknown } }).invocation;
  return typeof invocation?.max_tokens === 'number' ? invocation.max_tokens : undefined;
}
