/** A reason modelgate gave for a decision. */
export interface DecisionReason {
  code: string;
  message?: string;
}

/** The approval a denied call is waiting for (reason `approval_required`). */
export interface PendingApproval {
  id: string;
  status?: string;
  expires_at?: string;
  approvers?: unknown;
}

/** Base of the errors the caller SDK throws. */
export class ModelgateClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * modelgate refused the call: a deny (HTTP 200, `allow: false`) or a rejection of the request (4xx).
 * The model was not called.
 */
export class ModelgateDenied extends ModelgateClientError {
  readonly decisionId: string | undefined;
  readonly reasons: DecisionReason[];
  /**
   * The approval the call waits for (reason `approval_required`). Once an approver has approved it, repeat the same
   * call with `{ modelgate: { approvalId: approval.id } }` (guard) or `approval_id` (decide).
   */
  readonly approval: PendingApproval | undefined;
  /** The HTTP status of modelgate's reply: 200 for a policy deny, 4xx for a rejected request. */
  readonly status: number;

  constructor(parts: {
    decisionId: string | undefined;
    reasons: DecisionReason[];
    approval?: PendingApproval;
    status: number;
  }) {
    const codes = parts.reasons.map((r) => r.code).join(', ') || 'no reason given';
    const approval = parts.approval
      ? `; approval ${parts.approval.id} is ${parts.approval.status ?? 'pending'}: retry with it once approved`
      : '';
    super(`modelgate denied the call (${codes}); decision ${parts.decisionId ?? 'unknown'}${approval}`);
    this.decisionId = parts.decisionId;
    this.reasons = parts.reasons;
    this.approval = parts.approval;
    this.status = parts.status;
  }
}

/**
 * modelgate could not decide: unreachable, too slow, a 5xx, an unreadable reply, or no token to send.
 * The model was not called: the SDK fails closed.
 */
export class ModelgateUnavailable extends ModelgateClientError {
  readonly decisionId: string | undefined;
  readonly reasons: DecisionReason[];
  readonly status: number | undefined;

  constructor(
    message: string,
    parts: { decisionId?: string; reasons?: DecisionReason[]; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: parts.cause });
    this.decisionId = parts.decisionId;
    this.reasons = parts.reasons ?? [];
    this.status = parts.status;
  }
}
