import type { Express, Request } from 'express';
import { approvalSummary } from '../approvals/approval-summary';
import type { ApprovalStatus } from '../approvals/approval';
import type { ApprovalPosition } from '../approvals/approval-store';
import { canDecide, decideApproval, loadApproval, type ApprovalApiDeps } from '../decision/decide-approval';
import { guardedCall, type Caller } from '../decision/guarded-call';
import { ForbiddenError, ReasonCode, RequestError } from '../errors';
import { APPROVAL_CURSOR_PATTERN, APPROVAL_ID_PATTERN } from '../schemas/decide-request.schema';
import type { RouteHelpers } from './app';
import { readLimit, readQuery } from './query-params';

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'used_up'];
const MAX_LIST = 200;
const APPROVAL_ID = new RegExp(APPROVAL_ID_PATTERN);
const CURSOR = new RegExp(APPROVAL_CURSOR_PATTERN);

/**
 * Mounts the approvers' API: GET /v1/approvals, GET /v1/approvals/{id}, POST /v1/approvals/{id}/approve
 * and /deny. Reading needs the approver or the auditor scope; deciding needs the approver scope and the
 * policy's consent. Every call, refusals included, is recorded in the audit log.
 */
export function approvalRoutes(
  app: Express,
  { toCall, send, jsonBody }: RouteHelpers,
  deps: ApprovalApiDeps,
): void {
  const anyone = { auditorOnly: false };

  app.get('/v1/approvals', async (req, res) => {
    const call = toCall(req, res, '/v1/approvals');
    send(
      res,
      await guardedCall(deps.decision, call, anyone, async (caller) => {
        requireReader(deps, caller);
        const { status, limit, after } = readListFilter(req);
        // One more than the page, to know whether there is a next one.
        const found = await deps.store.list({ status, limit: limit + 1, after });
        const page = found.slice(0, limit);
        const last = page.at(-1);
        const fresh = await Promise.all(page.map((a) => deps.approvals.refresh(a)));
        // An approval that expired just now is left out of a page of another status; the cursor is the stored order's.
        const shown = status ? fresh.filter((a) => a.status === status) : fresh;
        return {
          body: {
            approvals: shown.map((a) => approvalSummary(a, canDecide(deps, caller.identity, a))),
            next_cursor: found.length > limit && last ? `${last.createdMs}.${last.id}` : null,
          },
        };
      }),
    );
  });

  app.get('/v1/approvals/:id', async (req, res) => {
    const call = toCall(req, res, '/v1/approvals/{id}');
    send(
      res,
      await guardedCall(deps.decision, call, anyone, async (caller) => {
        requireReader(deps, caller);
        const approval = await loadApproval(deps, req.params.id);
        return { body: { approval: approvalSummary(approval, canDecide(deps, caller.identity, approval)) } };
      }),
    );
  });

  for (const action of ['approve', 'deny'] as const) {
    app.post(`/v1/approvals/:id/${action}`, jsonBody, async (req, res) => {
      const id = String(req.params.id);
      // The record names the approval it acted on; any other text in the path is the caller's, kept out of the log.
      const path = `/v1/approvals/${APPROVAL_ID.test(id) ? id : '{id}'}/${action}`;
      send(res, await decideApproval(deps, toCall(req, res, path), id, action));
    });
  }
}

function requireReader(deps: ApprovalApiDeps, caller: Caller): void {
  if (caller.isAuditor || caller.identity.subject.scopes.includes(deps.approverScope)) return;
  throw new ForbiddenError(
    ReasonCode.ScopeMissing,
    `reading approvals needs the ${deps.approverScope} or ${deps.decision.auditorScope} scope`,
    { scope: deps.approverScope },
  );
}

function readListFilter(req: Request): {
  status: ApprovalStatus | undefined;
  limit: number;
  after: ApprovalPosition | undefined;
} {
  const filter = readQuery(req, ['status', 'limit', 'cursor'], 'filter');
  const status = filter.status ?? 'pending';
  if (status !== 'all' && !(STATUSES as readonly string[]).includes(status)) {
    throw new RequestError(ReasonCode.BadRequest, 400, `status must be all or one of ${STATUSES.join(', ')}`);
  }
  return {
    status: status === 'all' ? undefined : (status as ApprovalStatus),
    limit: readLimit(filter.limit, MAX_LIST, 50)!,
    after: filter.cursor === undefined ? undefined : readCursor(filter.cursor),
  };
}

// A cursor is `<created_ms>.<id>` of the last approval of the previous page.
function readCursor(cursor: string): ApprovalPosition {
  if (!CURSOR.test(cursor)) {
    throw new RequestError(
      ReasonCode.BadRequest,
      400,
      'cursor is not one: give the next_cursor of the previous page',
    );
  }
  const dot = cursor.indexOf('.');
  return { createdMs: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}
