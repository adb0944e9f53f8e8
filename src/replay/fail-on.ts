import { CHANGE_KINDS, type ChangeKind } from './compare-outcomes';
import type { ReplayReport } from './replay-report';

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

/** Returns the kinds of `failOn` the report found at least once. */
export function failingKinds(report: ReplayReport, failOn: readonly ChangeKind[]): ChangeKind[] {
  return failOn.filter((kind) => report.counts[kind] > 0);
}
