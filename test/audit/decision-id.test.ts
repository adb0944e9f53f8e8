import { createDecisionIdGenerator, decisionIdTime, newDecisionId } from '../../src/audit/decision-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newDecisionId', () => {
  it('returns a UUIDv7 (RFC 9562 version 7, variant 10) carrying the current time', () => {
    const before = Date.now();
    const id = newDecisionId();
    expect(id).toMatch(UUID_V7);
    const at = decisionIdTime(id);
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(before);
    expect(at!).toBeLessThanOrEqual(Date.now());
  });

  it('sorts in creation order when many ids share one millisecond', () => {
    const next = createDecisionIdGenerator(() => 1_795_341_600_000);
    const ids = Array.from({ length: 10_000 }, () => next());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => decisionIdTime(id) === 1_795_341_600_000)).toBe(true);
  });

  it('stays monotonic when the wall clock steps back', () => {
    let now = 1_795_341_600_000;
    const next = createDecisionIdGenerator(() => now);
    const first = next();
    now -= 5000;
    const second = next();
    expect(second > first).toBe(true);
    expect(decisionIdTime(second)).toBe(decisionIdTime(first));
  });

  it('sorts in creation order across milliseconds', () => {
    let now = 1_795_341_600_000;
    const next = createDecisionIdGenerator(() => now++);
    const ids = Array.from({ length: 1000 }, () => next());
    expect([...ids].sort()).toEqual(ids);
  });

  it('decisionIdTime returns null for ids that are not UUIDv7', () => {
    expect(decisionIdTime('3b241101-e2bb-4255-8caf-4136c566a962')).toBeNull();
    expect(decisionIdTime('not-a-uuid')).toBeNull();
  });
});
