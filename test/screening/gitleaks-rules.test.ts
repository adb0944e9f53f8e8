import { join } from 'node:path';
import RE2 from 're2';
import { evaluateExamples } from '../../src/screening/evaluate-examples';
import { UPSTREAM, UPSTREAM_RULES } from '../../src/screening/rules/upstream-rules';

const EXAMPLES = join(__dirname, 'gitleaks-examples.json');

describe("gitleaks' rule set", () => {
  it('is the pinned upstream version, with its licence, and has 200+ rules', () => {
    expect(UPSTREAM.source).toMatchObject({ module: 'github.com/zricethezav/gitleaks/v8', license: 'MIT' });
    expect(UPSTREAM.source.version).toMatch(/^v8\.\d+\.\d+$/);
    expect(UPSTREAM.source.licenseText).toContain('Permission is hereby granted, free of charge');
    expect(UPSTREAM.rules.length).toBeGreaterThanOrEqual(200);
  });

  it('compiles every rule and allowlist pattern under RE2 (linear time, no backtracking)', () => {
    const patterns = [
      ...UPSTREAM.rules.map((r) => r.regex).filter((r) => r !== ''),
      ...UPSTREAM.allowlists.flatMap((a) => a.regexes),
      ...UPSTREAM.rules.flatMap((r) => r.allowlists.flatMap((a) => a.regexes)),
    ];
    expect(patterns.length).toBeGreaterThan(200); // precondition: the file has patterns
    const failed = patterns.filter((p) => {
      try {
        new RE2(p);
        return false;
      } catch {
        return true;
      }
    });
    expect(failed).toEqual([]);
    // Only the path-only rule (pkcs12-file) is left out: a payload has no file name.
    expect(UPSTREAM.rules.length - UPSTREAM_RULES.length).toBe(
      UPSTREAM.rules.filter((r) => r.regex === '').length,
    );
  });

  describe("on the rules' own examples", () => {
    const result = evaluateExamples(EXAMPLES);

    it('catches at least 97% of all positive examples as secrets', () => {
      expect(result.positives).toBeGreaterThan(5000); // precondition: the examples were generated
      expect(result.caughtAsSecret / result.positives).toBeGreaterThanOrEqual(0.97);
    });

    it('keeps every class at or above 0.90 recall on the examples', () => {
      const byClass = new Map<string, { found: number; positives: number }>();
      for (const r of result.rules) {
        const c = byClass.get(r.class) ?? { found: 0, positives: 0 };
        c.found += r.found;
        c.positives += r.positives;
        byClass.set(r.class, c);
      }
      const below = [...byClass].filter(([, c]) => c.found / c.positives < 0.9).map(([name]) => name);
      expect(below).toEqual([]);
    });

    it("reports no rule on its own negative examples (path-bound rules' negatives left out)", () => {
      expect(result.negatives).toBeGreaterThan(300); // precondition
      expect(result.rules.filter((r) => r.falsePositives > 0).map((r) => r.rule)).toEqual([]);
    });
  });
});
