import type { Logger } from 'pino';
import { newDecisionId } from '../audit/decision-id';
import type { DecisionRecorder } from '../decision/decision-deps';
import { ForbiddenError, ReasonCode } from '../errors';
import type { ObligationV1 } from '../schemas/decision-document.schema';
import { APPROVAL_DEFAULTS, APPROVAL_LIMITS, effectiveStatus, type Approval } from './approval';
import type { ApprovalBinding } from './approval-binding';
import { approvalEventRecord, type ApprovalEvent, type EventActor } from './approval-events';
import type { ApprovalNotifier } from './approval-notifier';
import type { ApprovalStore, ApprovalVerdict, CreatedPending } from './approval-store';
import type { AuditRecordV1 } from '../audit/audit-record';

/** What the approval service is wired with. */
export interface ApprovalServiceDeps {
  store: ApprovalStore;
  recorder: Pick<DecisionRecorder, 'append'>;
  notifier: ApprovalNotifier;
  logger: Logger;
  now: () => number;
  /** Most approvals one subject may have pending at once (approvals.max_pending_per_subject). */
  maxPendingPerSubject: number;
}

/** A request that needs an approval, as the decision path knows it. */
export interface ApprovalRequest {
  decisionId: string;
  binding: ApprovalBinding;
  findings: Record<string, number>;
  /** The require_approval obligations of the decision. */
  obligations: ObligationV1[];
  actor: EventActor;
  clientAddress: string | null;
  /**
   * What approvers will be shown of the request: its context and invocation, screened and redacted as the
   * audit log keeps them. Asked for only when a new approval is made.
   */
  shown: () => Promise<Pick<Approval, 'context' | 'invocation'>>;
}

/** Who and what an event record names besides the approval. */
export interface EventParts {
  decisionId: string;
  actor: EventActor | null;
  clientAddress: string | null;
  recordId?: string;
}

const SWEEP_BATCH = 100;

/**
 * The life of approvals: asked for by the decision path, decided by approvers, spent by the caller,
 * expired by time. Every step changes the store with a compare-and-set and is recorded in the audit
 * chain; an event that cannot be recorded fails the call that caused it.
 */
export class ApprovalService {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ApprovalServiceDeps) {}

  /** Most approvals one subject may have pending at once. */
  get maxPendingPerSubject(): number {
    return this.deps.maxPendingPerSubject;
  }

  /**
   * Returns the pending approval for this request: the one already pending, or a new one (recorded and
   * announced); null when its subject already has the most pending approvals allowed, so that a stolen
   * token cannot flood approvers.
   */
  async request(req: ApprovalRequest): Promise<Approval | null> {
    const nowMs = this.deps.now();
    const pending = await this.deps.store.findPending(req.binding.key);
    if (pending && effectiveStatus(pending, nowMs) === 'pending') return pending;
    if (pending) await this.expire(pending);

    const terms = approvalTerms(req.obligations);
    const { context, invocation } = await req.shown();
    const fresh: Approval = {
      id: newDecisionId(),
      binding: req.binding.key,
      status: 'pending',
      createdMs: nowMs,
      expiresMs: nowMs + terms.ttlSeconds * 1000,
      requestDecisionId: req.decisionId,
      requester: req.binding.requester,
      invocation,
      context,
      findings: req.findings,
      reasons: terms.reasons,
      approvers: terms.approvers,
      ttlSeconds: terms.ttlSeconds,
      maxUses: terms.maxUses,
      usesLeft: terms.maxUses,
      decidedBy: null,
      decidedMs: null,
      comment: null,
    };
    const parts = { decisionId: req.decisionId, actor: req.actor, clientAddress: req.clientAddress };
    const { approval, created } = await this.createRecorded(fresh, parts);
    if (!created) return approval;
    this.deps.notifier.pending(approval);
    return approval;
  }

  /**
   * Returns the approval a caller presents, with its status brought up to date (an approval past its
   * time is expired, and that is recorded). Throws 403 approval_mismatch when there is no such approval
   * or it is bound to another caller, invocation or payload: both look the same, so ids cannot be probed.
   */
  async present(id: string, binding: ApprovalBinding): Promise<Approval> {
    const approval = await this.deps.store.get(id);
    if (!approval || approval.binding !== binding.key) {
      throw new ForbiddenError(
        ReasonCode.ApprovalMismatch,
        'no approval with this id is bound to this caller, invocation, payload and context',
      );
    }
    return this.refresh(approval);
  }

  /** Returns the approval with an overdue expiry applied and recorded. */
  async refresh(approval: Approval): Promise<Approval> {
    if (effectiveStatus(approval, this.deps.now()) !== 'expired' || approval.status === 'expired')
      return approval;
    return (await this.expire(approval)) ?? approval;
  }

  /**
   * Spends one use of a granted approval for an allowed decision and records it; returns the updated
   * approval, or null when no use was left to spend (another call spent it, or it just expired).
   */
  async use(approval: Approval, decisionId: string, actor: EventActor, clientAddress: string | null) {
    const usesLeft = await this.deps.store.consume(approval.id, this.deps.now());
    if (usesLeft === null) return null;
    const spent: Approval = { ...approval, usesLeft, status: usesLeft === 0 ? 'used_up' : approval.status };
    await this.record('used', spent, { decisionId, actor, clientAddress });
    return spent;
  }

  /** Expires every overdue approval now (each recorded); returns how many. */
  async sweep(): Promise<number> {
    const due = await this.deps.store.due(this.deps.now(), SWEEP_BATCH);
    let expired = 0;
    for (const approval of due) if (await this.expire(approval)) expired++;
    return expired;
  }

  /** Sweeps for expiries every `periodMs` until stop(). */
  start(periodMs: number): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.error({ err }, 'approval expiry sweep failed'));
    }, periodMs);
    this.timer.unref();
  }

  /** Stops the sweep and the notifier. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.deps.notifier.close();
  }

  /** Appends the audit record of one event; rejects with audit_unavailable when it cannot. */
  record(event: ApprovalEvent, approval: Approval, parts: EventParts, startedMs?: number): Promise<void> {
    return this.deps.recorder.append(this.eventRecord(event, approval, parts, startedMs));
  }

  /**
   * Decides a pending approval and records the verdict (`decided` is the approval as decided), in one transaction;
   * returns false, recording nothing, when it was no longer pending.
   */
  decide(
    decided: Approval,
    verdict: ApprovalVerdict,
    parts: EventParts,
    startedMs: number,
  ): Promise<boolean> {
    const record = this.eventRecord(verdict.status, decided, parts, startedMs);
    return this.deps.store.decideRecorded(decided.id, verdict, record);
  }

  // Creates the approval and its `requested` record in one transaction.
  private createRecorded(fresh: Approval, parts: EventParts): Promise<CreatedPending> {
    const record = this.eventRecord('requested', fresh, parts);
    return this.deps.store.createRecorded(fresh, this.deps.maxPendingPerSubject, record);
  }

  private eventRecord(
    event: ApprovalEvent,
    approval: Approval,
    parts: EventParts,
    startedMs?: number,
  ): AuditRecordV1 {
    const atMs = this.deps.now();
    return approvalEventRecord({
      event,
      approval,
      recordId: parts.recordId ?? newDecisionId(),
      decisionId: parts.decisionId,
      actor: parts.actor,
      atMs: startedMs ?? atMs,
      latencyMs: startedMs === undefined ? 0 : atMs - startedMs,
      clientAddress: parts.clientAddress,
    });
  }

  private async expire(approval: Approval): Promise<Approval | null> {
    const expired: Approval = { ...approval, status: 'expired' };
    const parts = { decisionId: approval.requestDecisionId, actor: null, clientAddress: null };
    const record = this.eventRecord('expired', expired, parts);
    return (await this.deps.store.expireRecorded(approval.id, this.deps.now(), record)) ? expired : null;
  }
}

/** The terms of the approval several require_approval obligations ask for: the strictest of each. */
export function approvalTerms(obligations: ObligationV1[]): {
  reasons: string[];
  approvers: string | null;
  ttlSeconds: number;
  maxUses: number;
} {
  const reasons: string[] = [];
  let approvers: string | null = null;
  let ttlSeconds: number = APPROVAL_LIMITS.maxTtlSeconds;
  let maxUses: number = APPROVAL_LIMITS.maxUses;
  let ttlSet = false;
  let usesSet = false;
  for (const o of obligations) {
    if (typeof o.reason === 'string') reasons.push(o.reason);
    if (approvers === null && typeof o.approvers === 'string') approvers = o.approvers;
    if (typeof o.ttl_seconds === 'number') {
      ttlSeconds = Math.min(ttlSeconds, o.ttl_seconds);
      ttlSet = true;
    }
    if (typeof o.max_uses === 'number') {
      maxUses = Math.min(maxUses, o.max_uses);
      usesSet = true;
    }
  }
  return {
    reasons: [...new Set(reasons)],
    approvers,
    ttlSeconds: ttlSet ? ttlSeconds : APPROVAL_DEFAULTS.ttlSeconds,
    maxUses: usesSet ? maxUses : APPROVAL_DEFAULTS.maxUses,
  };
}
