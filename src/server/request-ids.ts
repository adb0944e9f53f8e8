import type { IncomingHttpHeaders } from 'node:http';
import type { TraceContext } from '../decision/decision-deps';

// A request id is copied into log lines: only a short plain token, so a caller cannot forge log
// structure or smuggle data into the log pipeline through it.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// W3C Trace Context, version 00 (and later versions' first four fields, as the spec asks).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Returns the x-request-id header when it is a plain token of at most 128 characters, else undefined. */
export function requestIdOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['x-request-id'];
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined;
}

/** Returns the parsed traceparent header, or undefined when absent or invalid (all-zero ids are invalid). */
export function traceContextOf(headers: IncomingHttpHeaders): TraceContext | undefined {
  const value = headers.traceparent;
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as string[];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined;
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}
