import { compareOutcomes } from '../../src/replay/compare-outcomes';
import type { ReplayOutcome } from '../../src/replay/replay-outcome';

const allow = (obligations: ReplayOutcome['obligations'] = []): ReplayOutcome => ({
  allow: true,
  reasons: [],
  obligations,
  maxTokens: 1024,
});
const deny = (...reasons: string[]): ReplayOutcome => ({
  allow: false,
  reasons,
  obligations: [],
  maxTokens: null,
});

describe('compareOutcomes: what replay calls a change', () => {
  it('reports a flip with the reasons of the side that denies', () => {
    expect(compareOutcomes(allow(), deny('model_not_allowed', 'rate_limited'))).toEqual([
      { kind: 'allow-to-deny', reason: 'model_not_allowed,rate_limited' },
    ]);
    expect(compareOutcomes(deny('scope_missing'), allow())).toEqual([
      { kind: 'deny-to-allow', reason: 'scope_missing' },
    ]);
  });

  it('reports no change between two denies, nor for obligations in another order', () => {
    expect(compareOutcomes(deny('a'), deny('b'))).toEqual([]);
    const redact = { type: 'redact', classes: ['email'] };
    const cap = { type: 'cap_tokens', max_tokens: 1024 };
    expect(compareOutcomes(allow([redact, cap]), allow([cap, redact]))).toEqual([]);
  });

  it('reports obligations added, removed and changed per type: a new redact class, a lower cap', () => {
    const before = allow([
      { type: 'redact', classes: ['email'] },
      { type: 'cap_tokens', max_tokens: 2048 },
    ]);
    const after = allow([
      { type: 'redact', classes: ['email', 'phone'] },
      { type: 'require_ticket', system: 'jira' },
    ]);
    expect(compareOutcomes(before, after)).toEqual([
      { kind: 'obligations-removed', reason: 'cap_tokens' },
      { kind: 'obligations-changed', reason: 'redact' },
      { kind: 'obligations-added', reason: 'require_ticket' },
    ]);
  });
});
