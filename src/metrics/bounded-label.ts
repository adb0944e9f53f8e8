/** The label value that stands for every value past a BoundedLabel's limit. */
export const OVERFLOW_LABEL = 'other';

/**
 * A label whose distinct values are capped: the first `max` values seen are kept as they are and
 * every later one becomes "other", so a policy that invents reason codes (or a flood of subjects)
 * cannot grow the series count, and so Prometheus' memory, without bound.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  /** `always`: a fixed list of values kept as they are, outside the `max` (they cannot grow the series count). */
  constructor(
    private readonly max: number,
    private readonly always: ReadonlySet<string> = new Set(),
  ) {}

  /** Returns `value` while it is one of `always` or of the first `max` other distinct values, else "other". */
  value(value: string): string {
    if (this.seen.has(value) || this.always.has(value)) return value;
    if (this.seen.size >= this.max) return OVERFLOW_LABEL;
    this.seen.add(value);
    return value;
  }
}
