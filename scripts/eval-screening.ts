/**
 * Prints the quality of screening: recall and precision per class and per category on the labelled corpus,
 * precision per rule on the corpus, recall per upstream rule on gitleaks' own examples, and the evasion suite.
 * Usage: eval-screening [corpus-dir] [--verbose]   (corpus-dir defaults to test/screening/corpus)
 * Exits 1 when a class or category is below the 0.97 target, more than 1% of the negatives have a finding,
 * upstream recall is below 0.97, or an evasion case is missed (a documented gap included: the issue's target is the whole suite).
 */
import { resolve } from 'node:path';
import { SCREENING_CLASSES, redactPayload, screenPayload, type ScreeningResult } from '../src/screening';
import { evaluateCorpus } from '../src/screening/evaluate-corpus';
import { evaluateExamples } from '../src/screening/evaluate-examples';
import { runEvasionSuite } from '../src/screening/evasion-cases';

const TARGET = 0.97;
/** At most this share of the negatives (snippets without labels) may have any finding. */
const FALSE_POSITIVE_TARGET = 0.01;
const f = (n: number): string => n.toFixed(3);

/** Runs the evaluation and prints the tables; returns the process exit code. */
export function main(argv: string[] = process.argv.slice(2)): number {
  const verbose = argv.includes('--verbose');
  const dir = resolve(argv.find((a) => !a.startsWith('--')) ?? 'test/screening/corpus');
  const below: string[] = [];

  const corpus = evaluateCorpus(dir);
  console.log(`corpus: ${dir} (${corpus.records} snippets, ${corpus.negatives} without labels)`);
  console.log('\nper class:');
  console.table(
    Object.entries(corpus.classes).map(([name, s]) => {
      if (s.expected > 0 && (s.precision < TARGET || s.recall < TARGET)) below.push(`class ${name}`);
      return {
        class: name,
        labelled: s.expected,
        predicted: s.predicted,
        precision: f(s.precision),
        recall: f(s.recall),
      };
    }),
  );
  console.log('per category:');
  console.table(
    Object.entries(corpus.categories).map(([name, s]) => {
      if (s.precision < TARGET || s.recall < TARGET) below.push(`category ${name}`);
      return {
        category: name,
        labelled: s.expected,
        predicted: s.predicted,
        precision: f(s.precision),
        recall: f(s.recall),
      };
    }),
  );
  const flagged = Object.values(corpus.negativesFlagged).reduce((n, f) => n + f.flagged, 0);
  const fpRate = corpus.negatives === 0 ? 0 : flagged / corpus.negatives;
  if (fpRate > FALSE_POSITIVE_TARGET) below.push('false-positive rate on negatives');
  console.log(
    `negatives with any finding: ${flagged}/${corpus.negatives} (false-positive rate ${f(fpRate)}, ` +
      `target ≤ ${f(FALSE_POSITIVE_TARGET)})`,
  );
  console.table(
    Object.entries(corpus.negativesFlagged).map(([file, n]) => ({
      file,
      negatives: n.negatives,
      flagged: n.flagged,
      rate: f(n.negatives === 0 ? 0 : n.flagged / n.negatives),
    })),
  );
  console.log('per rule on the corpus (precision of what each rule reported):');
  console.table(
    Object.entries(corpus.rules)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([rule, s]) => ({ rule, predicted: s.predicted, correct: s.correct, precision: f(s.precision) })),
  );

  const examples = evaluateExamples(resolve('test/screening/gitleaks-examples.json'));
  const recall = examples.caughtAsSecret / examples.positives;
  if (recall < TARGET) below.push('upstream examples');
  console.log(
    `gitleaks' own examples: ${examples.caughtAsSecret}/${examples.positives} positives caught as secrets ` +
      `(recall ${f(recall)}); ${examples.negatives} negatives, ${examples.negativesWithSecret} with some secret ` +
      `finding (often a sibling rule's format), ${examples.rules.reduce((n, r) => n + r.falsePositives, 0)} ` +
      `reported by their own rule`,
  );
  console.log('per upstream rule (recall on its positive examples; the rule or its class, and any secret):');
  console.table(
    examples.rules.map((r) => ({
      rule: r.rule,
      class: r.class,
      positives: r.positives,
      'as class': f(r.positives === 0 ? 1 : r.foundAsClass / r.positives),
      recall: f(r.recall),
      'own FP': `${r.falsePositives}/${r.negatives}`,
    })),
  );

  const evasion = runEvasionSuite(screenPayload, (payload, result: ScreeningResult) =>
    redactPayload(payload, result, SCREENING_CLASSES),
  );
  const caught = evasion.filter((e) => e.caught).length;
  console.log(`evasion suite: ${caught}/${evasion.length} caught`);
  console.table(evasion.map((e) => ({ technique: e.technique, caught: e.caught, gap: e.gap ?? '' })));
  for (const e of evasion) if (!e.caught) below.push(`evasion: ${e.technique}`);

  if (verbose) {
    for (const m of corpus.mismatches) console.log(`${m.kind}\t${m.class}\t${m.file}:${m.line}\t${m.value}`);
    for (const m of examples.misses)
      console.log(`${m.kind}\t${m.rule}\t${JSON.stringify(m.text).slice(0, 160)}`);
  }
  if (below.length > 0) console.log(`below the ${TARGET} target: ${below.join(', ')}`);
  return below.length > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
