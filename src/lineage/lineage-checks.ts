import type { AuditRecordV1 } from '../audit/audit-record';
import { ReasonCode, RequestError } from '../errors';
import type { VerifiedSubject } from '../identity';
import { actorChain } from '../identity/actor-chain';
import { TEXT_PATTERN } from '../schemas/decide-request.schema';
import type { LineageLinkV1, LineageV1 } from './lineage';
import { traceIdOf } from './traceparent';

/** How old a parent decision may be, unless configured (lineage.max_parent_age_seconds). */
export const DEFAULT_MAX_PARENT_AGE_SECONDS = 3600;
/** Longest session id accepted. */
export const MAX_SESSION_ID_LENGTH = 256;

// Text as a purpose is: no control characters (terminal escapes, line breaks), bidi overrides or tag characters, which
// would let a caller rewrite what `modelgate audit lineage` shows an investigator.
const SESSION_TEXT = new RegExp(TEXT_PATTERN, 'u');
// RFC 9562 UUID text, any version: decision ids are UUIDv7, and a malformed one is a clear 400.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Where lineage looks up parents: the audit log, read by decision id. */
export interface LineageLookup {
  find(decisionId: string): Promise<AuditRecordV1 | null>;
  maxParentAgeMs: number;
}

/** What the request says about its place in a chain. */
export interface LineageClaim {
  context: Record<string, unknown> | undefined;
  traceparent: string | undefined;
}

/**
 * Returns `input.lineage` for a request, or undefined when it names no parent, session or trace.
 * A named parent must exist, belong to the same subject (and issuer) or to a member of the
 * caller's actor chain, have been allowed, have its input recorded whole, and be recent; otherwise
 * RequestError 400 with parent_invalid, parent_not_found, parent_foreign, parent_not_allowed or parent_stale.
 */
export async function resolveLineage(
  lookup: LineageLookup,
  subject: VerifiedSubject,
  claim: LineageClaim,
  nowMs: number,
): Promise<LineageV1 | undefined> {
  const parentId = claim.context?.parent_decision_id;
  const sessionId = claim.context?.session_id;
  const traceId = traceIdOf(claim.traceparent);
  if (parentId === undefined && sessionId === undefined && traceId === null) return undefined;
  if (sessionId !== undefined && !isSessionId(sessionId)) {
    throw new RequestError(
      ReasonCode.ParentInvalid,
      400,
      `context.session_id must be a string of 1 to ${MAX_SESSION_ID_LENGTH} characters, without control ` +
        'characters or bidi overrides',
    );
  }
  const parent = parentId === undefined ? null : await checkedParent(lookup, subject, parentId, nowMs);
  const parentLineage = parent ? recordedLineage(parent) : undefined;
  return {
    parent_id: parent?.decision_id ?? null,
    root_id: parent ? (parentLineage?.root_id ?? parent.decision_id) : null,
    depth: parent ? (parentLineage?.depth ?? 0) + 1 : 0,
    session_id: (sessionId as string | undefined) ?? parentLineage?.session_id ?? null,
    trace_id: traceId,
    parent: parent ? linkOf(parent) : null,
    root: parent ? (parentLineage?.root ?? linkOf(parent)) : null,
  };
}

async function checkedParent(
  lookup: LineageLookup,
  subject: VerifiedSubject,
  parentId: unknown,
  nowMs: number,
): Promise<AuditRecordV1> {
  if (typeof parentId !== 'string' || !UUID.test(parentId)) {
    throw new RequestError(
      ReasonCode.ParentInvalid,
      400,
      'context.parent_decision_id must be the decision_id of an earlier decision (a UUID)',
    );
  }
  const parent = await lookup.find(parentId);
  if (!parent || parent.path !== '/v1/decide') {
    throw new RequestError(
      ReasonCode.ParentNotFound,
      400,
      `no decision ${parentId} of /v1/decide is recorded`,
    );
  }
  // Said before anything else about it: another subject learns nothing of that decision.
  if (!belongsTo(parent, subject)) {
    throw new RequestError(
      ReasonCode.ParentForeign,
      400,
      `decision ${parentId} belongs neither to this subject nor to its actor chain`,
    );
  }
  if (parent.outcome !== 'allowed') {
    throw new RequestError(
      ReasonCode.ParentNotAllowed,
      400,
      `decision ${parentId} was ${parent.outcome}: only an allowed call can lead to another`,
    );
  }
  // Past audit.document_bytes the record keeps a marker for the whole input, and the parent's own lineage with
  // it: continuing it would start the chain over (depth 1, the parent as root) whatever chain it was in.
  if (parent.truncated?.input !== undefined) {
    throw new RequestError(
      ReasonCode.ParentInvalid,
      400,
      `decision ${parentId}'s recorded input was cut to size (audit.document_bytes), so its place in a chain ` +
        'is unknown: it cannot be continued',
    );
  }
  const ageMs = nowMs - Date.parse(parent.timestamp);
  if (ageMs > lookup.maxParentAgeMs) {
    throw new RequestError(
      ReasonCode.ParentStale,
      400,
      `decision ${parentId} is ${Math.round(ageMs / 1000)} s old; a parent may be at most ` +
        `${Math.round(lookup.maxParentAgeMs / 1000)} s old`,
    );
  }
  return parent;
}

// The same subject from the same issuer; or the parent's subject is in the caller's actor chain
// (a user's call through agent A continues A's own decision); or the caller is in the parent's
// actor chain (agent A, under its own identity, continues a call it made for a user). Two users
// of one agent never share a chain: a shared actor alone is not enough. An actor is a subject of
// the issuer its act claim names (`iss`), else of the token's issuer: another issuer's "agent A"
// is someone else.
function belongsTo(parent: AuditRecordV1, subject: VerifiedSubject): boolean {
  if (parent.subject === subject.id && parent.issuer === subject.issuer) return true;
  const mine = actorChain(subject.actor, subject.issuer);
  if (parent.subject !== null && mine.some((a) => a.sub === parent.subject && a.iss === parent.issuer)) {
    return true;
  }
  const theirs = actorChain(
    (parent.input as { subject?: { actor?: unknown } } | null)?.subject?.actor,
    parent.issuer,
  );
  return theirs.some((a) => a.sub === subject.id && a.iss === subject.issuer);
}

function recordedLineage(record: AuditRecordV1): LineageV1 | undefined {
  return (record.input as { lineage?: LineageV1 } | null)?.lineage;
}

function linkOf(record: AuditRecordV1): LineageLinkV1 {
  const tools = (record.input as { invocation?: { tools?: { name: string }[] } } | null)?.invocation?.tools;
  return {
    decision_id: record.decision_id,
    subject: record.subject,
    actor: record.actor,
    model: record.model,
    operation: record.operation,
    purpose: record.purpose,
    tools: (tools ?? []).map((t) => t.name),
  };
}

function isSessionId(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_SESSION_ID_LENGTH &&
    SESSION_TEXT.test(value)
  );
}
