import { parentPort } from 'node:worker_threads';
import { ModelgateError } from '../errors';
import { packResult, unpackResult } from './packed-result';
import { redactPayload } from './redact-payload';
import { screenPayload } from './screen-payload';
import type { RedactRequest, RedactResponse, ScreenRequest, ScreenResponse } from './screening-pool';

// The thread of a ScreeningPool: screens what it is sent, one payload at a time, and answers with the
// result or the error (a payload over the limit is a 413 like on the event loop); redacts a payload it is sent
// with its screening result. Loading this module compiles the rule set, so a new thread is ready before its
// first payload.
parentPort?.on('message', (request: ScreenRequest | RedactRequest) => {
  let response: ScreenResponse;
  try {
    if ('redact' in request) {
      const { result, classes, format } = request.redact;
      const redacted = redactPayload(request.payload, unpackResult(result), classes, format);
      parentPort?.postMessage({ id: request.id, redacted } satisfies RedactResponse);
      return;
    }
    const packed = packResult(screenPayload(request.payload, { maxChars: request.maxChars }));
    parentPort?.postMessage({ id: request.id, result: packed } satisfies ScreenResponse, [
      packed.spans.buffer as ArrayBuffer,
    ]);
    return;
  } catch (err) {
    response =
      err instanceof ModelgateError
        ? {
            id: request.id,
            error: { code: err.code, status: err.status, message: err.message, details: err.details },
          }
        : { id: request.id, error: { message: err instanceof Error ? err.message : String(err) } };
  }
  parentPort?.postMessage(response);
});
parentPort?.postMessage({ ready: true });
