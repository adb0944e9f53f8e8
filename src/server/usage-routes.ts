import type { Express } from 'express';
import type { AuditStore } from '../audit/audit-store';
import type { DecisionDeps } from '../decision/decision-deps';
import { guardedCall } from '../decision/guarded-call';
import { readBody } from '../decision/steps';
import { ForbiddenError, ReasonCode, RequestError } from '../errors';
import { APPROVAL_ID_PATTERN } from '../schemas/decide-request.schema';
import { usageReportSchema, type UsageReportV1 } from '../schemas/usage-report.schema';
import { compileValidator } from '../schemas/validators';
import type { VerifiedIdentity } from '../identity';
import type { UsageLedger } from '../usage/usage-ledger';
import { recordedReservation } from '../usage/prompt-tokens';
import type { UsageView } from '../usage/usage-view';
import type { RouteHelpers } from './app';
import { readQuery } from './query-params';

const validateUsageReport = compileValidator<UsageReportV1>(usageReportSchema);
// Decision ids are lower-case UUIDs, as approval ids are (src/audit/decision-id.ts).
const DECISION_ID = new RegExp(APPROVAL_ID_PATTERN);

/** Mounts POST /v1/decisions/{id}/usage (report what a call used) and GET /v1/usage (see usage and limits). */
export function usageRoutes(
  app: Express,
  { toCall, send, jsonBody }: RouteHelpers,
  deps: {
    decision: DecisionDeps;
    store: AuditStore;
    ledger: UsageLedger;
    view: UsageView;
    /** Whether a caller's reports settle exactly (may lower a reservation), not only raise it. */
    isTrustedReporter?: (identity: VerifiedIdentity) => boolean;
  },
): void {
  app.post('/v1/decisions/:id/usage', jsonBody, async (req, res) => {
    const id = req.params.id as string;
    const call = toCall(req, res, '/v1/decisions/{id}/usage');
    send(
      res,
      await guardedCall(deps.decision, call, { auditorOnly: false }, async ({ identity, recordInput }) => {
        // usage_reports is outside the hash chain: the chain keeps which decision was reported, and with what. The
        // id is the caller's text from the URL, kept only when it has a decision id's shape (nothing to screen).
        const decisionId = DECISION_ID.test(id) ? id : null;
        recordInput({ usage_report: { decision: decisionId } });
        const report = readBody(deps.decision, call, validateUsageReport);
        recordInput({ usage_report: { decision: decisionId, ...report } });
        const decision = await deps.store.get(id);
        if (!decision) throw new RequestError(ReasonCode.NotFound, 404, `no decision ${id}`);
        const nowMs = deps.decision.now();
        const input = decision.input as {
          invocation?: { input_tokens?: unknown };
          payload?: { chars?: unknown };
        } | null;
        await deps.ledger.report(
          id,
          { subject: identity.subject.id, trusted: deps.isTrustedReporter?.(identity) ?? false },
          {
            subject: decision.subject,
            model: decision.model ?? '',
            // What decide() reserved, as the start-up rebuild reads it back: a report finds its reservation by it.
            reservedTokens: recordedReservation(
              decision.max_tokens,
              input?.invocation?.input_tokens,
              input?.payload?.chars,
            ),
            outcome: decision.outcome,
            path: decision.path,
            timestampMs: Date.parse(decision.timestamp),
          },
          report,
          nowMs,
        );
        return { status: 201, body: { reported: { decision: id, ...report } } };
      }),
    );
  });

  app.get('/v1/usage', async (req, res) => {
    const call = toCall(req, res, '/v1/usage');
    send(
      res,
      await guardedCall(deps.decision, call, { auditorOnly: false }, async ({ identity, isAuditor }) => {
        const query = readQuery(req, ['subject', 'model']);
        const asked = query.subject ?? identity.subject.id;
        if (asked !== identity.subject.id && !isAuditor) {
          throw new ForbiddenError(
            ReasonCode.ScopeMissing,
            `only ${deps.decision.auditorScope} may see another subject's usage`,
          );
        }
        return { body: { ...(await deps.view.describe(asked, query.model, deps.decision.now())) } };
      }),
    );
  });
}
