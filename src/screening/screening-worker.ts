import { parentPort, workerData } from 'node:worker_threads';
import { errorText, ModelgateError } from '../errors';
import { packResult, unpackResult } from './packed-result';
import { redactPayload } from './redact-payload';
import { screenPayload, type ScreeningResult } from './screen-payload';
import { ScreeningCache } from './screening-cache';
import type { RedactRequest, RedactResponse, ScreenRequest, ScreenResponse } from './screening-pool';

// The thread of a ScreeningPool: screens what it is sent, one payload at a time, and answers with the
// result or the error (a payload over the limit is a 413 like on the event loop); redacts a payload it is sent,
// or one it kept. Loading this module compiles the rule set, so a new thread is ready before its first payload.

// The last large payloads this thread screened (small ones are redacted inline), with their results: an allowed
// decision's redaction usually follows on the same thread, which then need not be sent the payload again. Two: the
// one whose decision is being made, and one more in case a screening came in between.
const SCREENED_KEPT = 2;
const kept: Array<{ id: number; payload: unknown; result: ScreeningResult }> = [];

const data = workerData as { finished?: SharedArrayBuffer; cacheEntries?: number } | undefined;
// The pool reads how many messages this thread has finished from here (see backlog() in screening-pool.ts).
const finished = data?.finished !== undefined ? new Int32Array(data.finished) : undefined;
// What this thread found in texts it screened before (see screening-cache.ts).
const cache = new ScreeningCache(data?.cacheEntries);

// Counted before the answer goes out, so that a pool which has read the answer sees the count too.
function reply(message: ScreenResponse | RedactResponse, transfer?: ArrayBuffer[]): void {
  if (finished !== undefined) Atomics.add(finished, 0, 1);
  parentPort?.postMessage(message, transfer);
}

parentPort?.on('message', (request: ScreenRequest | RedactRequest) => {
  let response: ScreenResponse;
  try {
    if ('redact' in request) {
      const { screenId, result, classes, format } = request.redact;
      const source =
        result === undefined
          ? kept.find((k) => k.id === screenId)
          : { payload: request.payload, result: unpackResult(result) };
      if (source === undefined) {
        reply({ id: request.id, missing: true });
        return;
      }
      const redacted = redactPayload(source.payload, source.result, classes, format);
      reply({ id: request.id, redacted });
      return;
    }
    const result = screenPayload(request.payload, {
      maxChars: request.maxChars,
      cache,
      scope: request.scope,
    });
    if (request.keep) {
      kept.push({ id: request.id, payload: request.payload, result });
      if (kept.length > SCREENED_KEPT) kept.shift();
    }
    const packed = packResult(result);
    const lookups = { hits: cache.hits, misses: cache.misses };
    reply({ id: request.id, result: packed, lookups }, [packed.spans.buffer as ArrayBuffer]);
    return;
  } catch (err) {
    response =
      err instanceof ModelgateError
        ? {
            id: request.id,
            error: { code: err.code, status: err.status, message: err.message, details: err.details },
          }
        : { id: request.id, error: { message: errorText(err) } };
  }
  reply(response);
});
parentPort?.postMessage({ ready: true });
