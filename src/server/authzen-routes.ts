import type { Express, Request } from 'express';
import { evaluateAccess, evaluateAccessBatch, type AuthzenOptions } from '../decision/authzen';
import type { DecisionDeps, DecisionReply } from '../decision/decision-deps';
import type { RouteHelpers } from './app';

/** How the AuthZEN API is served. */
export interface AuthzenRouteOptions extends AuthzenOptions {
  /** The PDP identifier published in the metadata; default: the origin the request was sent to. */
  policyDecisionPoint?: string;
}

/**
 * Mounts the OpenID AuthZEN Authorization API 1.0: POST /access/v1/evaluation, POST
 * /access/v1/evaluations and GET /.well-known/authzen-configuration.
 */
export function authzenRoutes(
  app: Express,
  { toCall, send, jsonBody }: RouteHelpers,
  deps: { decision: DecisionDeps; authzen: AuthzenRouteOptions },
): void {
  app.post('/access/v1/evaluation', jsonBody, async (req, res) => {
    const reply = await evaluateAccess(
      deps.decision,
      toCall(req, res, '/access/v1/evaluation'),
      deps.authzen,
    );
    send(res, withRequestId(req, reply));
  });
  app.post('/access/v1/evaluations', jsonBody, async (req, res) => {
    const call = toCall(req, res, '/access/v1/evaluations');
    send(res, withRequestId(req, await evaluateAccessBatch(deps.decision, call, deps.authzen)));
  });
  app.get('/.well-known/authzen-configuration', (req, res) => {
    const pdp = deps.authzen.policyDecisionPoint ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    res.json({
      policy_decision_point: pdp,
      access_evaluation_endpoint: `${pdp}/access/v1/evaluation`,
      access_evaluations_endpoint: `${pdp}/access/v1/evaluations`,
    });
  });
}

// AuthZEN section 10.1.3: a request's X-Request-ID comes back unchanged on its reply.
function withRequestId(req: Request, reply: DecisionReply): DecisionReply {
  const id = req.headers['x-request-id'];
  if (typeof id !== 'string') return reply;
  return { ...reply, headers: { ...reply.headers, 'x-request-id': id } };
}
