import type { Express } from 'express';
import type { DecisionDeps } from '../decision/decision-deps';
import { guardedCall } from '../decision/guarded-call';
import { ModelgateError, ReasonCode } from '../errors';
import type { RouteHelpers } from './app';

// The features that read the SQLite audit file directly (whole-log scans on a reader thread). On
// PostgreSQL there is no such file: answering from an empty one would be a lie.
const SQLITE_ONLY = [
  {
    method: 'get',
    path: '/v1/reports/privileges',
    route: '/v1/reports/privileges',
    feature: 'privileges report',
  },
  { method: 'post', path: '/v1/replay', route: '/v1/replay', feature: 'replay' },
] as const;

/**
 * Mounts the SQLite-only routes of a service on PostgreSQL (database.url): each authenticates and
 * records the call like its real counterpart (auditor scope), then answers 501 not_available_on_postgres.
 */
export function sqliteOnlyRoutes(
  app: Express,
  { toCall, send }: RouteHelpers,
  deps: { decision: DecisionDeps },
): void {
  for (const { method, path, route, feature } of SQLITE_ONLY) {
    app[method](path, async (req, res) => {
      const call = toCall(req, res, route);
      send(
        res,
        await guardedCall(deps.decision, call, { auditorOnly: true }, async () => {
          throw new ModelgateError(
            ReasonCode.NotAvailableOnPostgres,
            501,
            `the ${feature} reads the SQLite audit log and is not available with database.url (PostgreSQL) ` +
              'yet; see docs/operations.md',
          );
        }),
      );
    });
  }
}
