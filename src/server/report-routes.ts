import type { Express } from 'express';
import { parseSince } from '../audit/relative-time';
import { parseInstant } from '../audit/time-range';
import type { DecisionDeps } from '../decision/decision-deps';
import { guardedCall } from '../decision/guarded-call';
import { ReasonCode, UnavailableError } from '../errors';
import { ReportError, runPrivilegesReport } from '../reports/report-runner';
import type { RouteHelpers } from './app';
import { readQuery } from './query-params';

const PARAMS = ['since', 'until', 'subject'] as const;

/** Mounts GET /v1/reports/privileges (auditor scope): granted against used, per subject. */
export function reportRoutes(
  app: Express,
  { toCall, send }: RouteHelpers,
  deps: { decision: DecisionDeps; db: string; bundle: string; bundleName?: string; entitlementsPath: string },
): void {
  app.get('/v1/reports/privileges', async (req, res) => {
    const call = toCall(req, res, '/v1/reports/privileges');
    send(
      res,
      await guardedCall(deps.decision, call, { auditorOnly: true }, async () => {
        const params = readQuery(req, PARAMS);
        const query = {
          fromMs: parseSince(params.since ?? '30d', deps.decision.now()),
          toMs: params.until === undefined ? undefined : parseInstant(params.until, 'until'),
          subject: params.subject,
          entitlementsPath: deps.entitlementsPath,
        };
        try {
          const report = await runPrivilegesReport({
            db: deps.db,
            bundle: deps.bundle,
            bundleName: deps.bundleName,
            query,
          });
          return { body: { ...report } };
        } catch (err) {
          if (!(err instanceof ReportError)) throw err;
          throw new UnavailableError(ReasonCode.PolicyUnavailable, err.message, { cause: err });
        }
      }),
    );
  });
}
