import autocannon from 'autocannon';
import type { Target } from './target';

/** What a closed-loop run at saturation measured. */
export interface SaturationResult {
  /** Successful (2xx) replies per second over the run. */
  rps: number;
  ok: number;
  failed: number;
  seconds: number;
}

/** Drives the target with autocannon: `connections` connections each with one request in flight, for `seconds`. */
export async function saturate(
  target: Target,
  connections: number,
  seconds: number,
): Promise<SaturationResult> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections,
    duration: seconds,
    timeout: 30,
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return { rps: result['2xx'] / result.duration, ok: result['2xx'], failed, seconds: result.duration };
}
