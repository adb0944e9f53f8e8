import type { Approval } from '../approvals/approval';
import type { ApprovalService } from '../approvals/approval-service';
import type { ApprovalStore, ApprovalVerdict } from '../approvals/approval-store';
import { approvalSummary } from '../approvals/approval-summary';
import { ForbiddenError, ReasonCode, RequestError } from '../errors';
import type { VerifiedIdentity } from '../identity';
import { actorChain } from '../identity/actor-chain';
import { approvalActionSchema, type ApprovalActionV1 } from '../schemas/approval.schema';
import { compileValidator } from '../schemas/validators';
import { eventActor } from './approval-steps';
import { redactedDeclared } from './record-privacy';
import type { DecisionCall, DecisionDeps, DecisionReply } from './decision-deps';
import type { DecisionTrace } from './decision-trace';
import { evaluatePolicy } from './evaluate-policy';
import { reject } from './reject';
import { authenticate, readBody, requirePolicy } from './steps';

const validateApprovalAction = compileValidator<ApprovalActionV1>(approvalActionSchema);

/** What the approvers' API needs, wired once by the composition root. */
export interface ApprovalApiDeps {
  decision: DecisionDeps;
  approvals: ApprovalService;
  store: ApprovalStore;
  /** Scope an approver's token must carry. */
  approverScope: string;
  /** The policy entrypoint that says whether this approver may decide this request. */
  entrypoint: string;
}

/** approve or deny. */
export type ApprovalAction = 'approve' | 'deny';

/**
 * Returns the reply to POST /v1/approvals/{id}/approve|deny: the approver is authenticated, holds the
 * approver scope, is not the requester, and is allowed by the policy's approve entrypoint; then the
 * pending approval is decided (compare-and-set) and the event recorded under this call's decision id, in one
 * transaction where the store allows it. Every refusal is recorded too. No grant takes effect without its record.
 */
export async function decideApproval(
  deps: ApprovalApiDeps,
  call: DecisionCall,
  id: string,
  action: ApprovalAction,
): Promise<DecisionReply> {
  const trace: DecisionTrace = {};
  try {
    const identity = await authenticate(deps.decision, call);
    trace.identity = identity;
    requireApproverScope(deps, identity);
    const body = readBody(deps.decision, call, validateApprovalAction);
    const approval = await loadApproval(deps, id);
    trace.invocation = { ...approval.invocation, tools: approval.invocation.tools.map((name) => ({ name })) };
    if (approval.status !== 'pending') {
      throw new RequestError(
        ReasonCode.ApprovalNotPending,
        409,
        `the approval is ${approval.status}, not pending`,
      );
    }
    refuseSelfApproval(identity, approval);
    const input = approveInput(deps, identity, approval, action);
    const engine = requirePolicy(deps.decision, deps.entrypoint);
    trace.policy = engine.info;
    trace.input = input;
    const verdict = evaluatePolicy(engine, input, deps.entrypoint);
    trace.result = verdict.raw;
    if (!verdict.decision.allow) {
      const why = (verdict.decision.reasons ?? []).map((r) => r.message ?? r.code).join('; ');
      throw new ForbiddenError(
        ReasonCode.ApprovalForbidden,
        `the policy does not let you decide this request: ${why}`,
      );
    }

    const decided = await recordVerdict(deps, call, identity, approval, {
      action,
      comment: await screenedComment(deps, body.comment),
    });
    return {
      status: 200,
      headers: {},
      body: { decision_id: call.decisionId, approval: approvalSummary(decided, false) },
    };
  } catch (err) {
    return reject(deps.decision, call, trace, err);
  }
}

// The comment as the audit log keeps caller text: screened, every finding redacted. Approvers paste what they
// looked at (a key, an address) into it, and it goes to the approval row, the record and every summary.
async function screenedComment(deps: ApprovalApiDeps, comment: string | undefined): Promise<string | null> {
  if (comment === undefined) return null;
  const { recordPreparation, screening } = deps.decision;
  return (await redactedDeclared({ comment }, recordPreparation.redactionFormat, screening.pool)).comment;
}

// Decides the approval and records the verdict under this call's decision id; 409 when it was decided meanwhile.
async function recordVerdict(
  deps: ApprovalApiDeps,
  call: DecisionCall,
  identity: VerifiedIdentity,
  approval: Approval,
  { action, comment }: { action: ApprovalAction; comment: string | null },
): Promise<Approval> {
  const nowMs = deps.decision.now();
  const status = action === 'approve' ? 'approved' : 'denied';
  const expiresMs = status === 'approved' ? nowMs + approval.ttlSeconds * 1000 : approval.expiresMs;
  const verdict: ApprovalVerdict = { status, by: identity.subject.id, atMs: nowMs, comment, expiresMs };
  const decided: Approval = {
    ...approval,
    status,
    decidedBy: verdict.by,
    decidedMs: nowMs,
    comment,
    expiresMs,
    usesLeft: status === 'denied' ? 0 : approval.usesLeft,
  };
  const parts = {
    decisionId: approval.requestDecisionId,
    actor: eventActor(identity),
    clientAddress: call.clientAddress,
    recordId: call.decisionId,
  };
  if (!(await deps.approvals.decide(decided, verdict, parts, call.receivedAtMs))) {
    throw new RequestError(
      ReasonCode.ApprovalNotPending,
      409,
      'the approval was decided or expired meanwhile',
    );
  }
  return decided;
}

/** Throws 403 scope_missing unless the token carries the approver scope. */
export function requireApproverScope(deps: ApprovalApiDeps, identity: VerifiedIdentity): void {
  if (!identity.subject.scopes.includes(deps.approverScope)) {
    throw new ForbiddenError(ReasonCode.ScopeMissing, `this needs the ${deps.approverScope} scope`, {
      scope: deps.approverScope,
    });
  }
}

/** Returns whether this caller may decide this approval now: scope, pending, not their own, and the policy. */
export function canDecide(deps: ApprovalApiDeps, identity: VerifiedIdentity, approval: Approval): boolean {
  if (!identity.subject.scopes.includes(deps.approverScope) || approval.status !== 'pending') return false;
  if (isOwnRequest(identity, approval)) return false;
  const engine = deps.decision.policy.current();
  if (!engine?.hasEntrypoint(deps.entrypoint)) return false;
  try {
    return evaluatePolicy(engine, approveInput(deps, identity, approval, 'approve'), deps.entrypoint).decision
      .allow;
  } catch {
    return false;
  }
}

/** Returns the approval, its expiry applied; throws 404 when there is none. */
export async function loadApproval(deps: ApprovalApiDeps, id: string): Promise<Approval> {
  const approval = await deps.store.get(id);
  if (!approval) throw new RequestError(ReasonCode.NotFound, 404, `no approval ${id}`);
  return deps.approvals.refresh(approval);
}

// Separation of duties, enforced here whatever the policy says: the requester's subject and the
// agent acting for it may not decide their own request.
function refuseSelfApproval(identity: VerifiedIdentity, approval: Approval): void {
  if (isOwnRequest(identity, approval)) {
    throw new ForbiddenError(ReasonCode.SelfApproval, 'nobody may approve or deny their own request');
  }
}

// The decider's own subject, or any agent acting for it (the `act` chain, RFC 8693 section 4.1): an agent that
// asked must not decide through a token it holds for an approver. On the requester's side, the prior actors count
// too: a person who handed the work to the agent that asked is asking.
function isOwnRequest(identity: VerifiedIdentity, approval: Approval): boolean {
  const { subject, actor: agent, prior_actors: prior = [] } = approval.requester;
  const own = [subject, agent, ...prior];
  const { id, actor, issuer } = identity.subject;
  return [id, ...actorChain(actor, issuer).map((a) => a.sub)].some((decider) => own.includes(decider));
}

// The approve entrypoint's input: who decides, what, and the request as approvers see it.
function approveInput(
  deps: ApprovalApiDeps,
  identity: VerifiedIdentity,
  approval: Approval,
  action: ApprovalAction,
): Record<string, unknown> {
  const nowMs = deps.decision.now();
  const { id, issuer, scopes, claims, actor } = identity.subject;
  return {
    action,
    approver: { id, issuer, scopes, claims, actor },
    request: {
      id: approval.id,
      requester: approval.requester,
      invocation: approval.invocation,
      context: approval.context,
      findings: approval.findings,
      reasons: approval.reasons,
      approvers: approval.approvers,
    },
    time: { now: new Date(nowMs).toISOString(), unix_ms: nowMs },
  };
}
