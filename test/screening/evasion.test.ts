import { SCREENING_CLASSES, redactPayload, screenPayload, type ScreeningResult } from '../../src/screening';
import { EVASION_CASES, runEvasionSuite } from '../../src/screening/evasion-cases';

const results = runEvasionSuite(screenPayload, (payload, result: ScreeningResult) =>
  redactPayload(payload, result, SCREENING_CLASSES),
);

describe('the evasion suite', () => {
  it('has a case for every technique of issue #12 (the duplicate-key case belongs to strict parsing)', () => {
    expect(EVASION_CASES.length).toBeGreaterThanOrEqual(26);
  });

  it.each(results.filter((r) => r.gap === undefined).map((r) => [r.technique, r]))(
    'redacts the value hidden by %s',
    (_technique, r) => {
      expect(r.caught).toBe(true);
    },
  );

  // A documented gap that starts being caught must lose its `gap`, so the suite keeps telling the truth.
  it('misses exactly the documented gaps (none today)', () => {
    const missed = results.filter((r) => !r.caught).map((r) => r.technique);
    expect(missed).toEqual(results.filter((r) => r.gap !== undefined).map((r) => r.technique));
    expect(missed).toEqual([]);
  });

  it('counts a case as missed when redaction leaves the value, even if something was found', () => {
    const [first] = runEvasionSuite(screenPayload, (payload) => payload);
    expect(screenPayload(EVASION_CASES[0]!.payload).spans.length).toBeGreaterThan(0); // precondition
    expect(first!.caught).toBe(false);
  });
});
