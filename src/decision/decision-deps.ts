import type { Logger } from 'pino';
import type { ApprovalService } from '../approvals/approval-service';
import type { ModelgateError } from '../errors';
import type { AuditRecordV1 } from '../audit/audit-record';
import type { RejectionAggregator } from './rejection-aggregator';
import type { PolicyEngine } from '../policy/policy-engine';
import type { BodyLimits } from '../schemas/body-limits';
import type { CallerAuthenticator, PresentedCredentials } from '../identity';
import type { UsageTracker } from '../usage/usage-tracker';
import type { LineageLookup } from '../lineage/lineage-checks';
import type { DecisionObserver } from './decision-observer';
import type { PreparedColumns, RecordPreparation } from './record-privacy';
import type { ScreeningPool } from '../screening';

/** Where records go; each append resolves only once the record is durable. */
export interface DecisionRecorder {
  /** Appends a record modelgate built whole (an approval event, counted rejections) as it is. */
  append(record: AuditRecordV1): Promise<void>;
  /**
   * Appends a decision's record as built, once made storable (storableRecord: bounded, then screened and
   * redacted) wherever the store does that best; resolves with the string columns that this changed.
   */
  appendDecision(record: AuditRecordV1): Promise<PreparedColumns | undefined>;
}

/** The currently loaded policy, if any (reloads swap it). */
export interface PolicySource {
  current(): PolicyEngine | undefined;
}

/** Everything the decision pipeline needs, wired once by the composition root. */
export interface DecisionDeps {
  /** Every caller is authenticated here: its token, and for a token bound to a key, its proof (DPoP). */
  authenticator: CallerAuthenticator;
  policy: PolicySource;
  recorder: DecisionRecorder;
  usage: UsageTracker;
  entrypoint: string;
  bodyLimits: BodyLimits;
  /** `pool` screens large payloads off the event loop; without it every payload is screened inline. */
  screening: { maxChars: number; redactionFormat: string; pool?: ScreeningPool };
  /** How a decision's record is made storable: its limits on caller-controlled values, the redaction marker. */
  recordPreparation: RecordPreparation;
  /** Counts anonymous rejections beyond a few per source and minute instead of recording each; absent: each is recorded. */
  rejections?: RejectionAggregator;
  /** Scope that lets an identity read the audit log and anyone's usage. */
  auditorScope: string;
  now: () => number;
  logger: Logger;
  /** The approval workflow; without it require_approval is a plain deny approval_required. */
  approvals?: ApprovalService;
  /** Parent lookups for context.parent_decision_id; without it, a named parent is never found. */
  lineage?: LineageLookup;
  /** Told of every finished decision after it is recorded (metrics, log lines, traces). */
  observer?: DecisionObserver;
}

/** A W3C trace context (traceparent): 32 and 16 lowercase hex digits, and whether it is sampled. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** One request as the HTTP layer hands it over: nothing HTTP-specific beyond the credentials' header values. */
export interface DecisionCall {
  decisionId: string;
  receivedAtMs: number;
  /** The API path, recorded with the decision. */
  path: string;
  /** The Authorization and DPoP headers, with the method and target a DPoP proof must match. */
  credentials: PresentedCredentials;
  /** The W3C traceparent header, if any. */
  traceparent?: string;
  clientAddress: string | null;
  /** The caller's x-request-id, when it is a plain bounded token; logged, never trusted. */
  requestId?: string;
  /** The caller's W3C traceparent, parsed; decision log lines and spans join that trace. */
  traceContext?: TraceContext;
  /** The parsed body, or the error that stopped parsing it (too large, not JSON, wrong type). */
  body: { ok: true; value: unknown } | { ok: false; error: ModelgateError };
}

/** What the HTTP layer writes back. */
export interface DecisionReply {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}
