import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { DecisionDeps, DecisionReply } from '../decision/decision-deps';
import { decide } from '../decision/decide';
import { dataApiFlags, decideData } from '../decision/decide-data';
import { decisionCall, send, sendInternalError } from './http-io';
import { bodyReader } from './json-body';

/** One of the two decision routes, as the fast path recognises it. */
type DecisionRoute = { kind: 'decide' } | { kind: 'data'; policyPath: string };

// A policy path as entrypoints spell it: nothing to decode, nothing for express to normalise.
const DATA_PATH = /^\/v1\/data\/([A-Za-z0-9_]+(?:\/[A-Za-z0-9_]+)*)\/*$/;

/**
 * Returns a request listener that serves POST /v1/decide and POST /v1/data/{path} directly and hands
 * every other request to `fallback` (the express app, which also has both routes for any spelling
 * this does not recognise). Express routing cost about as much CPU per decision as the policy
 * evaluation; the steps are the same as the express route's: read the body, run the pipeline, send.
 */
export function decisionListener(
  deps: { decision: DecisionDeps; bodyLimitBytes: number },
  fallback: RequestListener,
): RequestListener {
  const readBody = bodyReader(deps.bodyLimitBytes);
  const readDataBody = bodyReader(deps.bodyLimitBytes, 'opa');
  const decision = deps.decision;
  return (req, res) => {
    const route = req.method === 'POST' ? decisionRoute(req.url ?? '') : undefined;
    if (!route) {
      fallback(req, res);
      return;
    }
    const receivedAtMs = decision.now();
    serve(req, res, route, receivedAtMs).catch((err: unknown) => sendInternalError(decision, res, err));
  };

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: DecisionRoute,
    receivedAtMs: number,
  ) {
    let reply: DecisionReply;
    if (route.kind === 'decide') {
      const body = await readBody(req, res);
      reply = await decide(decision, decisionCall(req, { path: '/v1/decide', receivedAtMs, body }));
    } else {
      const body = await readDataBody(req, res);
      const path = `/v1/data/${route.policyPath}`;
      const flags = dataApiFlags(req.url ?? '');
      reply = await decideData(
        decision,
        decisionCall(req, { path, receivedAtMs, body }),
        route.policyPath,
        flags,
      );
    }
    send(res, reply);
  }
}

function decisionRoute(url: string): DecisionRoute | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path === '/v1/decide') return { kind: 'decide' };
  const data = DATA_PATH.exec(path);
  return data ? { kind: 'data', policyPath: data[1]! } : undefined;
}
