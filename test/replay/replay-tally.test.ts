import type { AuditRecordV1 } from '../../src/audit/audit-record';
import { compareOutcomes } from '../../src/replay/compare-outcomes';
import type { ReplayOutcome } from '../../src/replay/replay-outcome';
import { MAX_REPLAY_GROUPS, ReplayTally } from '../../src/replay/replay-report';

const allow: ReplayOutcome = { allow: true, reasons: [], obligations: [], maxTokens: null };
const deny = (code: string): ReplayOutcome => ({
  allow: false,
  reasons: [code],
  obligations: [],
  maxTokens: null,
});

function record(n: number, subject: string): AuditRecordV1 {
  return {
    decision_id: `d-${n}`,
    timestamp: new Date(1_700_000_000_000 + n).toISOString(),
    subject,
    model: 'm',
    operation: 'chat',
    outcome: 'allowed',
    input: {},
  } as unknown as AuditRecordV1;
}

describe('ReplayTally groups', () => {
  it('keeps at most MAX_REPLAY_GROUPS groups and counts the changes past them, so a report stays bounded', () => {
    const tally = new ReplayTally();
    const decisions = MAX_REPLAY_GROUPS + 250;
    for (let n = 0; n < decisions; n += 1) {
      // A candidate whose reason differs per decision (or a log with as many subjects) makes a group each.
      const candidate = deny(`reason_${n}`);
      tally.add(record(n, `spiffe://corp/s${n}`), allow, candidate, compareOutcomes(allow, candidate));
    }
    expect(tally.sortedGroups()).toHaveLength(MAX_REPLAY_GROUPS);
    expect(tally.ungroupedChanges).toBe(250);
    expect(tally.counts['allow-to-deny']).toBe(decisions);
    expect(tally.changed).toBe(decisions);
  });

  it('still counts a change into a group it already holds once the limit is reached', () => {
    const tally = new ReplayTally();
    const candidate = deny('model_not_allowed');
    for (let n = 0; n < MAX_REPLAY_GROUPS; n += 1) {
      const other = deny(`reason_${n}`);
      tally.add(record(n, `s${n}`), allow, other, compareOutcomes(allow, other));
    }
    tally.add(record(-1, 's0'), allow, deny('reason_0'), compareOutcomes(allow, deny('reason_0')));
    tally.add(record(-2, 'new'), allow, candidate, compareOutcomes(allow, candidate));
    const first = tally.sortedGroups()[0];
    expect(first).toMatchObject({ subject: 's0', reason: 'reason_0', count: 2 });
    expect(tally.ungroupedChanges).toBe(1);
  });
});
