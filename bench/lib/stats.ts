import { seededRandom } from '../../test/helpers/seeded-random';

/** The median of some figures (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The value below which `p` percent of the figures fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/**
 * Returns a 90% interval for the median of paired-round ratios: the 5th and 95th percentiles of the
 * medians of 10,000 resamples (bootstrap). On a shared 2-core machine one pair moves by ±10%, so a
 * median alone does not say whether a 5% target is met; the interval does. The resampling is seeded,
 * so the same figures always give the same interval.
 */
export function medianInterval(values: readonly number[], resamples = 10_000): [number, number] {
  if (values.length === 0) return [NaN, NaN];
  const random = seededRandom(0x5eed);
  const medians: number[] = [];
  const sample = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    medians.push(median(sample));
  }
  medians.sort((x, y) => x - y);
  return [medians[Math.floor(resamples * 0.05)]!, medians[Math.floor(resamples * 0.95)]!];
}
