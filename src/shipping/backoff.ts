import { DeliveryError } from './sinks';

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

/**
 * Returns the wait before retry number `failures` after `err`: the back-off above, or longer when the service
 * said how long to stay away (Retry-After on a 429 or 503), but never past `maxMs`, which the operator chose.
 */
export function waitBeforeRetryMs(
  failures: number,
  err: unknown,
  limits: { minMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const backoff = retryDelayMs(failures, limits, random);
  const asked = err instanceof DeliveryError ? err.retryAfterMs : undefined;
  return asked === undefined ? backoff : Math.max(backoff, Math.min(asked, limits.maxMs));
}
