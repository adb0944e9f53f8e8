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
  detect(text: string, out: TextSpan[]): void;
}
