/**
 * Prints per-class precision and recall of the screening detectors on the labelled corpus.
 * Usage: eval-screening [corpus-dir] [--verbose]   (corpus-dir defaults to test/screening/corpus)
 * Exits 1 when a class is below the 0.95 target.
 */
import { resolve } from 'node:path';
import { evaluateCorpus } from '../src/screening/evaluate-corpus';

const TARGET = 0.95;

/** Runs the evaluation and prints the table; returns the process exit code. */
export function main(argv: string[] = process.argv.slice(2)): number {
  const verbose = argv.includes('--verbose');
  const dir = resolve(argv.find((a) => !a.startsWith('--')) ?? 'test/screening/corpus');
  const result = evaluateCorpus(dir);
  const rows = Object.entries(result.classes).map(([name, s]) => ({
    class: name,
    labelled: s.expected,
    predicted: s.predicted,
    precision: s.precision.toFixed(3),
    recall: s.recall.toFixed(3),
  }));
  console.log(`corpus: ${dir} (${result.records} snippets, ${result.negatives} without labels)`);
  console.table(rows);
  if (verbose)
    for (const m of result.mismatches) console.log(`${m.kind}\t${m.class}\t${m.file}:${m.line}\t${m.value}`);
  const below = rows.filter((r) => Number(r.precision) < TARGET || Number(r.recall) < TARGET);
  if (below.length > 0) console.log(`below the ${TARGET} target: ${below.map((r) => r.class).join(', ')}`);
  return below.length > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
