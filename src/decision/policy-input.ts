import type { ApprovalInputV1 } from '../approvals/approval';
import type { VerifiedSubject } from '../identity';
import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import type { UsageSnapshotV1 } from '../usage/usage-tracker';
import type { LineageV1 } from '../lineage/lineage';

/** The verified caller as the policy sees it (`input.subject`): identity's verified subject, as is. */
export type SubjectV1 = VerifiedSubject;

/** Screening's summary of the payload (`input.payload`): classes and counts, never the text. */
export interface PayloadSummaryV1 {
  present: boolean;
  chars: number;
  findings: Record<string, number>;
  /** Count per category (`secret`, `pii`). */
  categories: Record<string, number>;
  /** Count per rule id (e.g. `stripe-access-token`). */
  rules: Record<string, number>;
}

/** The policy input document, version 1 (see docs/architecture.md). */
export interface PolicyInputV1 {
  subject: SubjectV1;
  invocation: DecideRequestV1['invocation'];
  context: Record<string, unknown>;
  payload: PayloadSummaryV1;
  usage: UsageSnapshotV1;
  time: { now: string; unix_ms: number };
  /** The approval the request presented (approval_id), checked to be bound to it. */
  approval?: ApprovalInputV1;
  /** Where the call sits in a chain of decisions; only when the request names a parent, session or trace. */
  lineage?: LineageV1;
}

/** Returns the policy input document for one decision; the raw payload is never part of it. */
export function buildPolicyInput(parts: {
  subject: SubjectV1;
  request: DecideRequestV1;
  payload: PayloadSummaryV1;
  usage: UsageSnapshotV1;
  nowMs: number;
  approval?: ApprovalInputV1;
  lineage?: LineageV1;
}): PolicyInputV1 {
  const { subject, request, payload, usage, nowMs, approval, lineage } = parts;
  const input: PolicyInputV1 = {
    subject,
    invocation: request.invocation,
    // approval_id is always present so policies can test it without `object.get`.
    context: { approval_id: null, ...(request.context ?? {}) },
    payload: {
      present: payload.present,
      chars: payload.chars,
      findings: payload.findings,
      categories: payload.categories,
      rules: payload.rules,
    },
    usage,
    time: { now: new Date(nowMs).toISOString(), unix_ms: nowMs },
    ...(lineage ? { lineage } : {}),
  };
  if (approval) input.approval = approval;
  return input;
}
