import type { IncomingMessage, ServerResponse } from 'node:http';
import { newDecisionId } from '../audit/decision-id';
import type { DecisionCall, DecisionDeps, DecisionReply } from '../decision/decision-deps';
import type { PresentedCredentials } from '../identity';
import { ReasonCode } from '../errors';
import type { ParsedBody } from './json-body';
import { requestIdOf, traceContextOf } from './request-ids';

// Shared by the express routes and the decision fast path: the one place that turns requests
// into DecisionCalls and replies into HTTP.

/** Returns the DecisionCall of a request: a new decision id, the caller's token and address. */
export function decisionCall(
  req: IncomingMessage,
  parts: { path: string; receivedAtMs: number; body: ParsedBody },
): DecisionCall {
  return {
    decisionId: newDecisionId(),
    receivedAtMs: parts.receivedAtMs,
    path: parts.path,
    credentials: credentialsOf(req),
    traceparent: req.headers.traceparent as string | undefined,
    clientAddress: req.socket.remoteAddress ?? null,
    requestId: requestIdOf(req.headers),
    traceContext: traceContextOf(req.headers),
    body: parts.body,
  };
}

/** Returns what the request presents to authenticate: Authorization and DPoP headers, method and target. */
export function credentialsOf(req: IncomingMessage): PresentedCredentials {
  return {
    authorization: authorizationOf(req),
    dpop: headerValues(req, 'dpop'),
    method: req.method ?? '',
    // Express rewrites req.url inside mounted routers; originalUrl is the request-target as sent.
    target: (req as { originalUrl?: string }).originalUrl ?? req.url ?? '',
  };
}

/**
 * Returns the request's Authorization header; several are returned joined by ", ", which no bearer credential
 * parses as. Node keeps only the first of repeated Authorization headers, and a proxy in front may have
 * checked the last: a request that carries two is ambiguous, so it is refused rather than read either way.
 */
export function authorizationOf(req: IncomingMessage): string | undefined {
  const values = headerValues(req, 'authorization');
  return values.length === 0 ? undefined : values.join(', ');
}

// Every line of one header, in order: node joins repeated headers it does not know, or keeps only the first.
function headerValues(req: IncomingMessage, lowerName: string): string[] {
  const raw = req.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) values.push(raw[i + 1]!);
  }
  return values;
}

/** Writes the 500 of a bug: the pipeline turns every expected failure into a recorded reply, so only a bug gets here. */
export function sendInternalError(decision: DecisionDeps, res: ServerResponse, err: unknown): void {
  decision.logger.error({ err }, 'unhandled error in route');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, {
    status: 500,
    headers: {},
    body: { allow: false, reasons: [{ code: ReasonCode.InternalError, message: 'internal error' }] },
  });
}

/** Writes a reply as JSON, never cached. */
export function send(res: ServerResponse, reply: DecisionReply): void {
  // What res.json wrote for these replies (no ETag, never 204/304, node drops the body of a HEAD),
  // without express's per-call settings lookups, header re-parsing and string-to-Buffer copy: those
  // were a measurable share of a decision's CPU time.
  // The headers go to writeHead as one flat list: setHeader per header validated and stored each one first.
  // Headers set before (express's x-powered-by is off; a route may set its own) are kept by writeHead.
  const body = JSON.stringify(reply.body);
  const headers: string[] = [];
  for (const name in reply.headers) headers.push(name, reply.headers[name] as string);
  headers.push(
    'cache-control',
    'no-store',
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
  );
  res.writeHead(reply.status, headers);
  res.end(body);
}
