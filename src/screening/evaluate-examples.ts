import { readFileSync } from 'node:fs';
import { categoryOf } from './classes';
import { detectText } from './detect-text';
import type { TextSpan } from './detector';
import { classOfRule } from './rules/rule-classes';
import { UPSTREAM } from './rules/upstream-rules';

/** The examples file written by scripts/gen-gitleaks-rules.sh: each rule's true and false positives. */
export interface ExamplesFile {
  source: { version: string };
  rules: Record<string, { positive: string[]; negative: string[] }>;
}

/** How one upstream rule fares on its own examples. */
export interface RuleScore {
  rule: string;
  class: string;
  positives: number;
  /**
   * Positives in which screening found a secret: a redaction gate needs the value caught, and a generic finding
   * yields to a more specific rule (gitleaks' own generic-api-key samples hold Clojars tokens, for one).
   */
  found: number;
  /** Positives with a finding of this rule or of its class. */
  foundAsClass: number;
  negatives: number;
  /** Negatives with a finding of this rule: its false positives (a sibling rule may rightly match them). */
  falsePositives: number;
  recall: number;
}

/** The result over every rule's examples. */
export interface ExamplesEvaluation {
  rules: RuleScore[];
  positives: number;
  /** Positives in which screening found any secret. */
  caughtAsSecret: number;
  negatives: number;
  /** Negatives in which screening found any secret. */
  negativesWithSecret: number;
  misses: Array<{ rule: string; kind: 'false_negative' | 'false_positive'; text: string }>;
}

/**
 * Returns per-rule recall and false positives of screening on the upstream rules' own examples. Rules bound to
 * a file path cannot be judged on payloads: a path-only rule (`pkcs12-file`) is left out, and the negatives of a
 * rule with a path and a regex (`nuget-config-password`) are left out, because they differ from its positives
 * only by the file name, which a payload does not have.
 */
export function evaluateExamples(
  path: string,
  detect: (text: string) => TextSpan[] = detectText,
): ExamplesEvaluation {
  const file = JSON.parse(readFileSync(path, 'utf8')) as ExamplesFile;
  const result: ExamplesEvaluation = {
    rules: [],
    positives: 0,
    caughtAsSecret: 0,
    negatives: 0,
    negativesWithSecret: 0,
    misses: [],
  };
  const pathOf = new Map(
    UPSTREAM.rules.map((r) => [r.id, { path: r.path !== undefined, regex: r.regex !== '' }]),
  );
  for (const [rule, all] of Object.entries(file.rules)) {
    const bound = pathOf.get(rule);
    if (bound?.regex === false) continue;
    const examples = bound?.path === true ? { positive: all.positive, negative: [] } : all;
    const cls = classOfRule(rule);
    const score: RuleScore = {
      rule,
      class: cls,
      positives: examples.positive.length,
      found: 0,
      foundAsClass: 0,
      negatives: examples.negative.length,
      falsePositives: 0,
      recall: 1,
    };
    for (const text of examples.positive) {
      const spans = detect(text);
      if (spans.some((s) => s.rule === rule || s.class === cls)) score.foundAsClass++;
      if (spans.some((s) => categoryOf(s.class) === 'secret')) {
        score.found++;
        result.caughtAsSecret++;
      } else result.misses.push({ rule, kind: 'false_negative', text });
    }
    for (const text of examples.negative) {
      const spans = detect(text);
      if (spans.some((s) => s.rule === rule)) {
        score.falsePositives++;
        result.misses.push({ rule, kind: 'false_positive', text });
      }
      if (spans.some((s) => categoryOf(s.class) === 'secret')) result.negativesWithSecret++;
    }
    score.recall = score.positives === 0 ? 1 : score.found / score.positives;
    result.positives += score.positives;
    result.negatives += score.negatives;
    result.rules.push(score);
  }
  return result;
}
