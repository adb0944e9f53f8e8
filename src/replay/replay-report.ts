import type { AuditRecordV1 } from '../audit/audit-record';
import { CHANGE_KINDS, type ChangeKind, type OutcomeChange } from './compare-outcomes';
import type { ReplayOutcome } from './replay-outcome';

/** Examples kept per group: enough to look up, few enough to read. */
export const EXAMPLES_PER_GROUP = 3;

/**
 * Groups a report holds at most. A candidate whose reason codes differ per decision, or a log with as many
 * subjects as decisions, would otherwise make a group (with its examples) per decision: a report of a million
 * replayed calls could grow to gigabytes. Changes past the limit are counted in `ungrouped_changes`.
 */
export const MAX_REPLAY_GROUPS = 1_000;

/** One decision that would change, as an example of its group. */
export interface ReplayExample {
  decision_id: string;
  timestamp: string;
  model: string | null;
  operation: string | null;
  /** What the active bundle decides, and what the candidate would. */
  active: ReplayOutcome;
  candidate: ReplayOutcome;
}

/** Every change of one kind, for one subject, for one reason. */
export interface ReplayGroup {
  subject: string | null;
  kind: ChangeKind;
  reason: string;
  count: number;
  examples: ReplayExample[];
}

/** A bundle as the report names it. */
export interface BundleRef {
  name: string;
  revision: string;
}

/** What replay found: JSON for the API and `--format json`, rendered as a table otherwise. */
export interface ReplayReport {
  active: BundleRef;
  candidate: BundleRef;
  period: { from: string | null; to: string | null };
  subject: string | null;
  /** Recorded decisions evaluated with both bundles. */
  replayed: number;
  /** Recorded decisions without an input document (rejected before the policy ran). */
  skipped: number;
  /** Decisions with at least one change. */
  changed: number;
  /** Decisions per kind of change. */
  counts: Record<ChangeKind, number>;
  /**
   * Decisions the active bundle does not decide as recorded (allow against deny): an older bundle decided them,
   * or the policy reads what the record keeps only as a hash (claims outside audit.recorded_claims). Their
   * replay says little about the candidate.
   */
  not_reproduced: number;
  /**
   * Decisions not evaluated because the record cut their input to size (`truncated` names `input`,
   * `input.context` or `input.subject.claims`): what either bundle would decide for them is unknown.
   */
  unreplayable: number;
  /** Up to EXAMPLES_PER_GROUP of their decision ids, oldest first. */
  unreplayable_examples: string[];
  /** The claims kept only as hashes (`sha256:…`) in the replayed records, sorted: a rule reading one cannot replay. */
  hashed_claims: string[];
  /** Whether a record limit stopped the replay before the end of the period. */
  truncated: boolean;
  /** Groups, largest first: at most MAX_REPLAY_GROUPS, the first ones met in log order. */
  groups: ReplayGroup[];
  /** Changes of subjects, kinds and reasons met after MAX_REPLAY_GROUPS groups were full (counted in `counts`). */
  ungrouped_changes: number;
}

/** Collects changes decision by decision into counted groups with a few examples each. */
export class ReplayTally {
  private readonly groups = new Map<string, ReplayGroup>();
  readonly counts = Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<ChangeKind, number>;
  replayed = 0;
  skipped = 0;
  changed = 0;
  notReproduced = 0;
  ungroupedChanges = 0;
  unreplayable = 0;
  readonly unreplayableExamples: string[] = [];
  readonly hashedClaims = new Set<string>();

  /** Adds one replayed decision and its changes (none when both bundles agree). */
  add(
    record: AuditRecordV1,
    active: ReplayOutcome,
    candidate: ReplayOutcome,
    changes: OutcomeChange[],
  ): void {
    this.replayed += 1;
    if (active.allow !== (record.outcome === 'allowed')) this.notReproduced += 1;
    for (const name of hashedClaims(record)) this.hashedClaims.add(name);
    if (changes.length === 0) return;
    this.changed += 1;
    // Decisions per kind: two obligation types added to one call count that call once.
    for (const kind of new Set(changes.map((c) => c.kind))) this.counts[kind] += 1;
    for (const change of changes) this.addChange(record, active, candidate, change);
  }

  private addChange(
    record: AuditRecordV1,
    active: ReplayOutcome,
    candidate: ReplayOutcome,
    change: OutcomeChange,
  ): void {
    const key = JSON.stringify([record.subject, change.kind, change.reason]);
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= MAX_REPLAY_GROUPS) {
        this.ungroupedChanges += 1;
        return;
      }
      group = { subject: record.subject, kind: change.kind, reason: change.reason, count: 0, examples: [] };
      this.groups.set(key, group);
    }
    group.count += 1;
    if (group.examples.length < EXAMPLES_PER_GROUP) {
      group.examples.push({
        decision_id: record.decision_id,
        timestamp: record.timestamp,
        model: record.model,
        operation: record.operation,
        active,
        candidate,
      });
    }
  }

  /** Counts a decision whose recorded input cannot stand for the one the policy saw. */
  addUnreplayable(record: AuditRecordV1): void {
    this.unreplayable += 1;
    if (this.unreplayableExamples.length < EXAMPLES_PER_GROUP)
      this.unreplayableExamples.push(record.decision_id);
  }

  /** Returns the groups, largest first, then by subject, kind and reason for a stable order. */
  sortedGroups(): ReplayGroup[] {
    return [...this.groups.values()].sort(
      (a, b) =>
        b.count - a.count ||
        (a.subject ?? '').localeCompare(b.subject ?? '') ||
        a.kind.localeCompare(b.kind) ||
        a.reason.localeCompare(b.reason),
    );
  }
}

// The record keeps claims outside audit.recorded_claims as `sha256:<hex>` (record-privacy.ts).
function hashedClaims(record: AuditRecordV1): string[] {
  const claims = (record.input as { subject?: { claims?: unknown } } | null)?.subject?.claims;
  if (typeof claims !== 'object' || claims === null) return [];
  return Object.entries(claims)
    .filter(([, value]) => typeof value === 'string' && value.startsWith('sha256:'))
    .map(([name]) => name);
}
