import { canonicalJson } from '../audit/canonical-json';
import type { ObligationV1 } from '../schemas/decision-document.schema';
import type { ReplayOutcome } from './replay-outcome';

/** The kinds of change replay reports; also the values `--fail-on` accepts. */
export const CHANGE_KINDS = [
  'allow-to-deny',
  'deny-to-allow',
  'obligations-added',
  'obligations-removed',
  'obligations-changed',
] as const;

/** One kind of change. */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One difference between the active and the candidate bundle's outcome for one input. */
export interface OutcomeChange {
  kind: ChangeKind;
  /**
   * What the change is about: for allow-to-deny the candidate's reason codes, for deny-to-allow the
   * active bundle's, for obligation changes the obligation type (e.g. cap_tokens).
   */
  reason: string;
}

/**
 * Returns how the candidate's outcome differs from the active one's. A flip is reported as a flip
 * only (obligations of a denied call are always empty); between two allows, obligations are
 * compared per type: a type only the candidate has is added, one only the active has is removed,
 * and one both have with other values (a new redact class, a lower cap) is changed.
 */
export function compareOutcomes(active: ReplayOutcome, candidate: ReplayOutcome): OutcomeChange[] {
  if (active.allow && !candidate.allow) return [{ kind: 'allow-to-deny', reason: reasonKey(candidate) }];
  if (!active.allow && candidate.allow) return [{ kind: 'deny-to-allow', reason: reasonKey(active) }];
  if (!active.allow) return [];
  const before = byType(active.obligations);
  const after = byType(candidate.obligations);
  const changes: OutcomeChange[] = [];
  for (const type of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(type);
    const is = after.get(type);
    if (was === undefined) changes.push({ kind: 'obligations-added', reason: type });
    else if (is === undefined) changes.push({ kind: 'obligations-removed', reason: type });
    else if (was !== is) changes.push({ kind: 'obligations-changed', reason: type });
  }
  return changes;
}

function reasonKey(outcome: ReplayOutcome): string {
  return outcome.reasons.length > 0 ? outcome.reasons.join(',') : '(none)';
}

// Per type, the sorted canonical JSON of its obligations: order and key order never count as a change.
function byType(obligations: ObligationV1[]): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const obligation of obligations) {
    const list = groups.get(obligation.type) ?? [];
    list.push(canonicalJson(obligation));
    groups.set(obligation.type, list);
  }
  return new Map([...groups].map(([type, list]) => [type, list.sort().join('\n')]));
}
