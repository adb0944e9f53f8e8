import { fixedRate } from './fixed-rate';
import { saturate } from './saturate';
import type { Target } from './target';

/** What one run of `drive` measured. */
export interface DriveResult {
  rps: number;
  seconds: number;
  failed: number;
}

/**
 * Drives the target for `seconds`: offered `rate` requests a second (open loop) when given, else at
 * saturation with `connections` connections (closed loop).
 */
export async function drive(
  target: Target,
  options: { rate?: number; connections: number; seconds: number },
): Promise<DriveResult> {
  const { rate, connections, seconds } = options;
  if (rate === undefined) return saturate(target, connections, seconds);
  const run = await fixedRate(target, rate, seconds, connections);
  return { rps: run.achievedRps, seconds, failed: run.failed };
}
