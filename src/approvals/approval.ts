import type { InvocationV1 } from '../schemas/decide-request.schema';

/** Where an approval stands. `used_up` and `expired` are final, like `denied`. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used_up';

/** Defaults for what a require_approval obligation leaves out. */
export const APPROVAL_DEFAULTS = { ttlSeconds: 3600, maxUses: 1 } as const;

/** Bounds on what a policy may ask for: a grant is a short-lived exception, not a standing entitlement. */
export const APPROVAL_LIMITS = { maxTtlSeconds: 30 * 86400, maxUses: 1000, commentChars: 1024 } as const;

/** Who asked: the verified subject, the agent acting for it, and the actors before that agent. */
export interface Requester {
  subject: string;
  issuer: string;
  actor: string | null;
  /**
   * The nested `act` claims under the acting agent (RFC 8693 section 4.1: prior actors), outermost first; absent
   * when there are none, so that the binding of a request without them is what it was before they were kept.
   */
  prior_actors?: string[];
}

/**
 * One approval as stored. It is bound (`binding`) to the requester, the invocation and the hashes of
 * the payload and the context; the payload itself is never stored.
 */
export interface Approval {
  id: string;
  binding: string;
  status: ApprovalStatus;
  createdMs: number;
  /** While pending: when the request lapses. Once approved: when the grant does. */
  expiresMs: number;
  /** The decision that asked for it. */
  requestDecisionId: string;
  requester: Requester;
  /** The invocation as the audit log keeps it: screened, findings redacted (the binding hashed it as sent). */
  invocation: Pick<InvocationV1, 'model' | 'provider' | 'operation' | 'purpose'> & { tools: string[] };
  /**
   * The request's context (environment, repository, ...) as the audit log keeps it: screened with every finding
   * redacted, and a marker in its place past the record's context limit. What approvers are shown.
   */
  context: unknown;
  /** Finding classes and counts of the screened payload. */
  findings: Record<string, number>;
  /** What the policy said the approval is for (require_approval reasons). */
  reasons: string[];
  /** Group or role the policy names as approvers, or null for any approver. */
  approvers: string | null;
  ttlSeconds: number;
  maxUses: number;
  usesLeft: number;
  decidedBy: string | null;
  decidedMs: number | null;
  comment: string | null;
}

/** What the policy sees as `input.approval`. */
export interface ApprovalInputV1 {
  id: string;
  status: ApprovalStatus;
  approved_by: string | null;
  approved_at: string | null;
  uses_left: number;
}

/** Returns the `input.approval` document of an approval. */
export function approvalInput(approval: Approval): ApprovalInputV1 {
  const approved = approval.decidedMs !== null && approval.status !== 'denied';
  return {
    id: approval.id,
    status: approval.status,
    approved_by: approved ? approval.decidedBy : null,
    approved_at: approved && approval.decidedMs !== null ? new Date(approval.decidedMs).toISOString() : null,
    uses_left: approval.usesLeft,
  };
}

/** Returns the status an approval has at `nowMs`: a pending or approved one past its time is expired. */
export function effectiveStatus(approval: Approval, nowMs: number): ApprovalStatus {
  const live = approval.status === 'pending' || approval.status === 'approved';
  return live && approval.expiresMs <= nowMs ? 'expired' : approval.status;
}
