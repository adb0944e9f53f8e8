import type { ScreeningClass } from './classes';

/** A detected span inside one string: UTF-16 offsets, end exclusive. */
export interface TextSpan {
  start: number;
  end: number;
  class: ScreeningClass;
  /** The rule that found it: an upstream rule id; unset by the hand-written detectors (see `ruleOf`). */
  rule?: string;
}

/**
 * Finds the spans of its classes in one string. Detectors are synchronous and must do work linear in the
 * length of the text: every regex has bounded quantifiers and no nested, overlapping repetition, and every
 * secondary scan is bounded or walks forward only (see each detector for the argument).
 */
export interface Detector {
  readonly name: string;
  /**
   * `joins`, when given, says that `text` is many texts joined (see detect-joined.ts); a detector whose match
   * may run over a join reports the range of such a match there, so that those texts are screened alone.
   */
  detect(text: string, out: TextSpan[], joins?: Joins): void;
}

/** The texts of a text made of many joined texts, and where a detector reports matches that ran over a join. */
export interface Joins {
  /** Offset of each text's first character, ascending. */
  readonly starts: readonly number[];
  /** Offset just past each text's last character. Separators lie between, before the first and after the last. */
  readonly ends: readonly number[];
  /** Ranges [start, end) of matches that covered part of a separator. */
  readonly unsure: Array<[number, number]>;
}

/** Returns the index of the text holding `offset`: the last of `starts` at or before it (0 before the first). */
export function textAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Returns whether [start, end) covers part of a separator of `joins`: it does not lie within one text. */
export function overJoin(joins: Joins, start: number, end: number): boolean {
  const i = textAt(joins.starts, start);
  return start < (joins.starts[i] as number) || end > (joins.ends[i] as number);
}
