import autocannon from 'autocannon';
import type { Target } from './target';
import { uniqueBody } from './unique-body';

/** What a closed-loop run at saturation measured. */
export interface SaturationResult {
  /** Successful (2xx) replies per second over the run. */
  rps: number;
  ok: number;
  failed: number;
  seconds: number;
  /** 99th percentile of the closed-loop latency, ms (queueing at saturation included). */
  p99: number;
}

/**
 * Drives the target with autocannon: `connections` connections each with one request in flight, for `seconds`.
 * With `headerSets`, the requests take them in turn (e.g. one token per subject), over the target's headers.
 */
export async function saturate(
  target: Target,
  connections: number,
  seconds: number,
  headerSets?: Record<string, string>[],
): Promise<SaturationResult> {
  let next = 0;
  // A body with the marker is made different in every request (see workload.ts).
  const unique = uniqueBody(target.body);
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections,
    duration: seconds,
    timeout: 30,
    ...(headerSets?.length || unique
      ? {
          requests: [
            {
              setupRequest: (request) => ({
                ...request,
                ...(headerSets?.length
                  ? { headers: { ...target.headers, ...headerSets[next++ % headerSets.length] } }
                  : {}),
                ...(unique ? { body: unique(target.body) } : {}),
              }),
            },
          ],
        }
      : {}),
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result['2xx'] / result.duration,
    ok: result['2xx'],
    failed,
    seconds: result.duration,
    p99: result.latency.p99,
  };
}
