import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CATEGORIES,
  SCREENING_CLASSES,
  categoryOf,
  isScreeningClass,
  type Category,
  type ScreeningClass,
} from './classes';
import { detectText } from './detect-text';
import type { TextSpan } from './detector';

/** One labelled snippet of the corpus: `value` is the exact substring expected for `class`. */
export interface CorpusRecord {
  text: string;
  labels: Array<{ class: string; value: string }>;
}

/** Counts and scores of one class. */
export interface ClassScore {
  /** Labelled spans (every occurrence of every labelled value). */
  expected: number;
  /** Labelled spans overlapped by a predicted span of the class. */
  found: number;
  /** Predicted spans. */
  predicted: number;
  /** Predicted spans that overlap a labelled span of the class. */
  correct: number;
  /** correct / predicted (1 when nothing was predicted). */
  precision: number;
  /** found / expected (1 when nothing was labelled). */
  recall: number;
}

/** A prediction or a label that did not match, for reading the misses. */
export interface Mismatch {
  kind: 'false_positive' | 'false_negative';
  class: string;
  value: string;
  file: string;
  line: number;
}

/** The result of an evaluation run. */
export interface CorpusEvaluation {
  records: number;
  negatives: number;
  /** Negatives (snippets without labels) with at least one finding, by corpus file. */
  negativesFlagged: Record<string, { negatives: number; flagged: number }>;
  classes: Record<ScreeningClass, ClassScore>;
  /** The same counts by category: a prediction is correct when it overlaps a label of its category. */
  categories: Record<Category, ClassScore>;
  /** Per rule id: predicted spans and those that overlap a label of their class (precision per rule). */
  rules: Record<string, { predicted: number; correct: number; precision: number }>;
  mismatches: Mismatch[];
}

/** Returns the records of every `*.jsonl` file in `dir`, with file name and line number; throws on bad lines. */
export function readCorpus(dir: string): Array<{ record: CorpusRecord; file: string; line: number }> {
  const rows: Array<{ record: CorpusRecord; file: string; line: number }> = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    lines.forEach((raw, i) => {
      if (raw.trim() === '') return;
      const record = JSON.parse(raw) as CorpusRecord;
      for (const label of record.labels) {
        if (!isScreeningClass(label.class)) throw new Error(`${file}:${i + 1}: unknown class ${label.class}`);
        if (!record.text.includes(label.value))
          throw new Error(`${file}:${i + 1}: label not in text: ${label.value}`);
      }
      rows.push({ record, file, line: i + 1 });
    });
  }
  return rows;
}

function occurrences(text: string, value: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1))
    spans.push([at, at + value.length]);
  return spans;
}

const overlaps = (a: readonly [number, number], b: TextSpan): boolean => a[0] < b.end && b.start < a[1];

/**
 * Returns per-class precision and recall of the detectors on a labelled corpus. A predicted span of class C
 * is correct when it overlaps a labelled span of class C; a labelled span is found when a predicted span of
 * its class overlaps it. `detect` defaults to the production detectors (swap it to measure a library).
 */
export function evaluateCorpus(
  dir: string,
  detect: (text: string) => TextSpan[] = detectText,
): CorpusEvaluation {
  const rows = readCorpus(dir);
  const scores = Object.fromEntries(
    SCREENING_CLASSES.map((c) => [
      c,
      { expected: 0, found: 0, predicted: 0, correct: 0, precision: 1, recall: 1 },
    ]),
  ) as Record<ScreeningClass, ClassScore>;
  const categories = Object.fromEntries(
    CATEGORIES.map((c) => [c, { expected: 0, found: 0, predicted: 0, correct: 0, precision: 1, recall: 1 }]),
  ) as Record<Category, ClassScore>;
  const rules: CorpusEvaluation['rules'] = {};
  const mismatches: Mismatch[] = [];
  let negatives = 0;
  const negativesFlagged: CorpusEvaluation['negativesFlagged'] = {};
  for (const { record, file, line } of rows) {
    const predicted = detect(record.text);
    if (record.labels.length === 0) {
      negatives++;
      const perFile = (negativesFlagged[file] ??= { negatives: 0, flagged: 0 });
      perFile.negatives++;
      if (predicted.length > 0) perFile.flagged++;
    }
    const expected = record.labels.flatMap((l) =>
      occurrences(record.text, l.value).map((span) => ({ class: l.class as ScreeningClass, span })),
    );
    for (const e of expected) {
      const category = categories[categoryOf(e.class)];
      category.expected++;
      if (predicted.some((p) => categoryOf(p.class) === categoryOf(e.class) && overlaps(e.span, p)))
        category.found++;
      const score = scores[e.class];
      score.expected++;
      if (predicted.some((p) => p.class === e.class && overlaps(e.span, p))) score.found++;
      else
        mismatches.push({
          kind: 'false_negative',
          class: e.class,
          value: record.text.slice(...e.span),
          file,
          line,
        });
    }
    for (const p of predicted) {
      const category = categories[categoryOf(p.class)];
      category.predicted++;
      if (expected.some((e) => categoryOf(e.class) === categoryOf(p.class) && overlaps(e.span, p)))
        category.correct++;
      const rule = (rules[p.rule ?? p.class] ??= { predicted: 0, correct: 0, precision: 1 });
      rule.predicted++;
      const score = scores[p.class];
      score.predicted++;
      if (expected.some((e) => e.class === p.class && overlaps(e.span, p))) {
        score.correct++;
        rule.correct++;
      } else
        mismatches.push({
          kind: 'false_positive',
          class: p.class,
          value: record.text.slice(p.start, p.end),
          file,
          line,
        });
    }
  }
  for (const rule of Object.values(rules)) rule.precision = rule.correct / rule.predicted;
  for (const score of [...Object.values(scores), ...Object.values(categories)]) {
    score.precision = score.predicted === 0 ? 1 : score.correct / score.predicted;
    score.recall = score.expected === 0 ? 1 : score.found / score.expected;
  }
  return {
    records: rows.length,
    negatives,
    negativesFlagged,
    classes: scores,
    categories,
    rules,
    mismatches,
  };
}
