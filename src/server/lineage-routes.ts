import type { Express } from 'express';
import { lineageTree, type LineageSource } from '../audit/lineage-query';
import type { DecisionDeps } from '../decision/decision-deps';
import { guardedCall } from '../decision/guarded-call';
import { ReasonCode, RequestError } from '../errors';
import type { RouteHelpers } from './app';

/** Mounts GET /v1/decisions/{id}/lineage (auditor scope): a decision's ancestors and descendants. */
export function lineageRoutes(
  app: Express,
  { toCall, send }: RouteHelpers,
  deps: { decision: DecisionDeps; source: LineageSource },
): void {
  app.get('/v1/decisions/:id/lineage', async (req, res) => {
    const id = req.params.id;
    const call = toCall(req, res, '/v1/decisions/{id}/lineage');
    send(
      res,
      await guardedCall(deps.decision, call, { auditorOnly: true }, async () => {
        const tree = await lineageTree(deps.source, id);
        if (!tree) throw new RequestError(ReasonCode.NotFound, 404, `no decision ${id}`);
        return { body: { ...tree } };
      }),
    );
  });
}
