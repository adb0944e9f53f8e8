import type { Express } from 'express';
import type { DecisionDeps } from '../decision/decision-deps';
import { guardedCall } from '../decision/guarded-call';
import { ForbiddenError, ReasonCode } from '../errors';
import type { RouteHelpers } from './app';

/** One top-level section of GET /v1/status, e.g. `bundles`; each module contributes its own. */
export interface StatusSection {
  name: string;
  describe(): unknown;
}

/** Mounts GET /v1/status (auditor or operator scope); every call is recorded like a decision. */
export function statusRoutes(
  app: Express,
  { toCall, send }: RouteHelpers,
  deps: { decision: DecisionDeps; operatorScope: string; sections: StatusSection[] },
): void {
  app.get('/v1/status', async (req, res) => {
    const call = toCall(req, res, '/v1/status');
    send(
      res,
      await guardedCall(deps.decision, call, { auditorOnly: false }, async ({ identity, isAuditor }) => {
        if (!isAuditor && !identity.subject.scopes.includes(deps.operatorScope)) {
          throw new ForbiddenError(
            ReasonCode.ScopeMissing,
            `this needs the ${deps.decision.auditorScope} or ${deps.operatorScope} scope`,
          );
        }
        const body: Record<string, unknown> = {};
        for (const section of deps.sections) body[section.name] = section.describe();
        return { body };
      }),
    );
  });
}
