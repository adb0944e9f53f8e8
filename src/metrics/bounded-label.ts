/** The label value that stands for every value past a BoundedLabel's limit. */
export const OVERFLOW_LABEL = 'other';

/**
 * A label whose distinct values are capped: the first `max` values seen are kept as they are and
 * every later one becomes "other", so a policy that invents reason codes (or a flood of subjects)
 * cannot grow the series count, and so Prometheus' memory, without bound.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** Returns `value` while it is one of the first `max` distinct values, else "other". */
  value(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OVERFLOW_LABEL;
    this.seen.add(value);
    return value;
  }
}
