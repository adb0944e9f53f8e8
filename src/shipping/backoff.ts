/**
 * Returns the wait before retry number `failures` (1, 2, ...): exponential from `minMs`, capped at
 * `maxMs`, with "full jitter" (a uniform draw below the cap), so replicas that lost the same collector
 * do not all come back at the same instant.
 */
export function retryDelayMs(
  failures: number,
  limits: { minMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(limits.maxMs, limits.minMs * 2 ** Math.min(failures - 1, 30));
  return Math.max(1, Math.round(random() * ceiling));
}
