import type { Approval, Requester } from '../approvals/approval';
import { actorChain } from '../identity/actor-chain';
import { boundValue } from '../audit/bound-record';
import { bindingOf, type ApprovalBinding } from '../approvals/approval-binding';
import type { EventActor } from '../approvals/approval-events';
import { ReasonCode } from '../errors';
import type { VerifiedIdentity } from '../identity';
import type { ApprovalRefV1 } from '../schemas/approval.schema';
import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import type { ScreeningResult } from '../screening';
import type { Reservation } from '../usage/usage-tracker';
import type { DecisionCall, DecisionDeps } from './decision-deps';
import type { EnforcedDecision } from './obligations';
import { redactedDeclared } from './record-privacy';

/** The approval side of one decision: what the request is bound to, and the approval it presented. */
export interface ApprovalContext {
  /** Computed on first use: hashing the payload costs nothing on decisions that never need an approval. */
  binding: () => ApprovalBinding;
  presented: Approval | undefined;
  /** The request's context, as the caller sent it. */
  requestContext: Record<string, unknown>;
}

/**
 * Returns the request's binding and the approval it presents (approval_id), checked to be bound to
 * this caller, invocation, payload and context (403 approval_mismatch otherwise); undefined when approvals
 * are not wired.
 */
export async function presentApproval(
  deps: DecisionDeps,
  identity: VerifiedIdentity,
  request: DecideRequestV1,
): Promise<ApprovalContext | undefined> {
  if (!deps.approvals) return undefined;
  let bound: ApprovalBinding | undefined;
  const binding = () => (bound ??= bindingOf(requesterOf(identity), request));
  const presented =
    request.approval_id === undefined
      ? undefined
      : await deps.approvals.present(request.approval_id, binding());
  return { binding, presented, requestContext: request.context ?? {} };
}

/** What settling the approval changed: the decision (a lost use turns an allow into a deny) and the reply's `approval`. */
export interface SettledApproval {
  enforced: EnforcedDecision;
  ref?: ApprovalRefV1;
}

/**
 * Settles the approval of a decision once the policy has spoken:
 * - a deny approval_required gets its pending approval (the same one while it is pending);
 * - an allow that rests on a granted approval spends one use of it; if none is left (another call
 *   spent it, or it just expired) the allow becomes a deny approval_used_up and the reservation is released.
 */
export async function settleApproval(
  deps: DecisionDeps,
  call: DecisionCall,
  parts: {
    context: ApprovalContext | undefined;
    identity: VerifiedIdentity;
    screening: ScreeningResult;
    enforced: EnforcedDecision;
    reservation: Reservation | undefined;
  },
): Promise<SettledApproval> {
  const { context, enforced } = parts;
  const approvals = deps.approvals;
  if (!approvals || !context) return { enforced };
  const actor = eventActor(parts.identity);

  const required = enforced.obligations.filter((o) => o.type === 'require_approval');
  if (!enforced.allow && required.length > 0 && enforced.reasons.some(isApprovalRequired)) {
    const approval = await approvals.request({
      decisionId: call.decisionId,
      binding: context.binding(),
      findings: parts.screening.findings,
      obligations: required,
      actor,
      clientAddress: call.clientAddress,
      shown: () => shownToApprovers(deps, context),
    });
    if (!approval) return { enforced: withReason(enforced, limitReached(approvals.maxPendingPerSubject)) };
    return {
      enforced,
      ref: {
        id: approval.id,
        status: 'pending',
        expires_at: new Date(approval.expiresMs).toISOString(),
        approvers: approval.approvers,
      },
    };
  }

  const presented = context.presented;
  if (enforced.allow && presented?.status === 'approved') {
    const spent = await approvals
      .use(presented, call.decisionId, actor, call.clientAddress)
      .catch((err: unknown) => {
        parts.reservation?.release();
        throw err;
      });
    if (!spent) {
      parts.reservation?.release();
      return {
        enforced: {
          ...enforced,
          allow: false,
          maxTokens: null,
          // A deny carries no obligations, as the policy's own denies do not.
          obligations: [],
          reasons: [
            ...enforced.reasons,
            { code: ReasonCode.ApprovalUsedUp, message: 'the approval has no uses left; ask for a new one' },
          ],
        },
      };
    }
  }
  return { enforced };
}

// What approvers see of a request: its context bounded like the record's, and its invocation (model, provider,
// tools, purpose), all screened and redacted as the audit log keeps them; the binding hashed them as sent. The
// approval row, the summary, the webhook and the approve entrypoint all read this copy, so none holds more than
// the log does.
async function shownToApprovers(
  deps: DecisionDeps,
  context: ApprovalContext,
): Promise<Pick<Approval, 'context' | 'invocation'>> {
  const declared = {
    context: boundValue(context.requestContext, deps.recordPreparation.limits.contextBytes),
    invocation: context.binding().invocation,
  };
  return redactedDeclared(declared, deps.recordPreparation.redactionFormat, deps.screening.pool);
}

function limitReached(max: number): { code: string; message: string } {
  return {
    code: ReasonCode.ApprovalLimitReached,
    message: `this subject has ${max} approvals pending, the most allowed: none was opened; ask again once one is decided or expires`,
  };
}

function withReason(enforced: EnforcedDecision, reason: { code: string; message: string }): EnforcedDecision {
  return { ...enforced, reasons: [...enforced.reasons, reason] };
}

// Who asks: the subject, the acting agent and the actors before it. The prior actors are bound too, so that a
// grant asked for through one chain is not spent through another, and none of them may decide the request.
function requesterOf(identity: VerifiedIdentity): Requester {
  const { id, issuer, actor } = identity.subject;
  const requester: Requester = {
    subject: id,
    issuer,
    actor: typeof actor?.sub === 'string' ? actor.sub : null,
  };
  const prior = actorChain(actor?.act, issuer).map((a) => a.sub);
  return prior.length === 0 ? requester : { ...requester, prior_actors: prior };
}

/** Returns who caused an event, from a verified identity. */
export function eventActor(identity: VerifiedIdentity): EventActor {
  const actor = identity.subject.actor?.sub;
  return {
    subject: identity.subject.id,
    issuer: identity.subject.issuer,
    actor: typeof actor === 'string' ? actor : null,
    tokenId: identity.tokenId,
  };
}

function isApprovalRequired(reason: { code: string }): boolean {
  return reason.code === ReasonCode.ApprovalRequired;
}
