import { CHANGE_KINDS, type ChangeKind } from './compare-outcomes';
import type { ReplayReport } from './replay-report';

/**
 * What a `--fail-on` gate reports: the kinds of change it found, `unreplayable` when some decisions could not be
 * evaluated at all, and `truncated` when a record limit stopped the replay before the end of the period (the gate
 * cannot say that none of those decisions changes).
 */
export type FailedOn = ChangeKind | 'unreplayable' | 'truncated';

/** Returns the kinds a `--fail-on` list names; throws TypeError naming an unknown one. */
export function parseFailOn(list: string): ChangeKind[] {
  const kinds = list
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  for (const kind of kinds) {
    if (!(CHANGE_KINDS as readonly string[]).includes(kind)) {
      throw new TypeError(`unknown change kind "${kind}"; use ${CHANGE_KINDS.join(', ')}`);
    }
  }
  return [...new Set(kinds)] as ChangeKind[];
}

/**
 * Returns the kinds of `failOn` the report found at least once, then, if any gate was asked for, `unreplayable`
 * when some decisions could not be replayed and `truncated` when the limit left some unread: fail closed, since
 * any of them might be a change of a gated kind.
 */
export function failingKinds(report: ReplayReport, failOn: readonly ChangeKind[]): FailedOn[] {
  const found: FailedOn[] = failOn.filter((kind) => report.counts[kind] > 0);
  if (failOn.length > 0 && report.unreplayable > 0) found.push('unreplayable');
  if (failOn.length > 0 && report.truncated) found.push('truncated');
  return found;
}
