import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the per-decision metrics, whose label sets are bound once and then cost a few
 * additions per decision. prom-client's own children validate and hash their labels on every `inc`/`observe`
 * (15.x), about 1 µs each and a dozen per decision on the event loop. These register in a prom-client Registry
 * like its own metrics (a `get()` in the shape the registry formats), so the exposition text is the same.
 */

type Labels = Record<string, string>;

interface MetricValue {
  labels: Record<string, string | number>;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
}

interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

/** A counter child: `inc(by)`, `by` ≥ 0 (1 when left out). */
export interface BoundCounter {
  inc(by?: number): void;
}

/** A histogram child. */
export interface BoundHistogram {
  observe(value: number): void;
}

abstract class BoundMetric<Child> {
  protected readonly children = new Map<string, { labels: Labels; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /**
   * Returns the child of these label values, given in the order of the label names (one per distinct set, made on
   * first use; keep the sets bounded). Positional, so that a decision builds no label object.
   */
  labels(...values: string[]): Child {
    const key = values.join('\u0000');
    let found = this.children.get(key);
    if (found === undefined) {
      const own: Labels = {};
      this.labelNames.forEach((n, i) => (own[n] = values[i] ?? ''));
      found = { labels: own, child: this.make() };
      this.children.set(key, found);
    }
    return found.child;
  }

  protected abstract make(): Child;

  abstract get(): Exported;

  /** What Registry.resetMetrics calls. */
  reset(): void {
    this.children.clear();
  }
}

/** A counter with bound label sets (see the module comment). */
export class LabelledCounter extends BoundMetric<BoundCounter> {
  protected make(): BoundCounter & { value: number; used: boolean } {
    const child = {
      value: 0,
      used: false,
      inc(by = 1): void {
        child.value += by;
        child.used = true;
      },
    };
    return child;
  }

  get(): Exported {
    const values: MetricValue[] = [];
    // As prom-client: a label set appears once it has been counted.
    for (const { labels, child } of this.children.values()) {
      const { value, used } = child as unknown as { value: number; used: boolean };
      if (used) values.push({ labels, value });
    }
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' };
  }
}

/** A histogram with bound label sets and fixed upper bounds (see the module comment). */
export class LabelledHistogram extends BoundMetric<BoundHistogram> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  protected make(): BoundHistogram & { counts: Float64Array; sum: number; count: number } {
    const bounds = this.upperBounds;
    const child = {
      counts: new Float64Array(bounds.length),
      sum: 0,
      count: 0,
      observe(value: number): void {
        child.sum += value;
        child.count += 1;
        // As prom-client: the first bound the value does not exceed; above the last, only +Inf counts it.
        for (let i = 0; i < bounds.length; i++) {
          if (value <= (bounds[i] as number)) {
            (child.counts[i] as number)++;
            return;
          }
        }
      },
    };
    return child;
  }

  get(): Exported {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, child } of this.children.values()) {
      const { counts, sum, count } = child as unknown as { counts: Float64Array; sum: number; count: number };
      if (count === 0) continue; // as prom-client: a label set appears once it has been observed
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += counts[i] as number;
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: bucket });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: bucket },
        { labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
