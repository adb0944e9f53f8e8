import { createHash } from 'node:crypto';
import type { AuditRecordV1 } from '../audit/audit-record';
import { canonicalJson } from '../audit/canonical-json';
import type { VerifiedIdentity } from '../identity';
import { redactPayload, SCREENING_CLASSES, screenPayload } from '../screening';

// The record's own copies of what the caller declared; they are indexed columns, so they are screened too.
const DECLARED_COLUMNS = ['model', 'provider', 'operation', 'purpose'] as const;
// Parts of the policy input modelgate builds itself: nothing the caller typed, so nothing to screen.
const BUILT_PARTS = new Set(['subject', 'payload', 'usage', 'time', 'approval']);

/**
 * Returns the record as the audit log may keep it: every string the caller declared (the invocation
 * columns, `input.invocation`, `input.context`, anything else a Data API caller sent) screened like the
 * payload and redacted, and of the token's claims only the issuer's `recorded_claims` as they are, the
 * others as `sha256:<hex>` of their canonical JSON. The policy has already seen the values as they were.
 */
export function privateRecord(
  record: AuditRecordV1,
  identity: VerifiedIdentity | undefined,
  redactionFormat: string,
): AuditRecordV1 {
  const declared: Record<string, unknown> = {};
  for (const column of DECLARED_COLUMNS) if (record[column] !== null) declared[column] = record[column];
  const input = isObject(record.input) ? record.input : undefined;
  const callerParts: Record<string, unknown> = {};
  if (input) {
    for (const [key, value] of Object.entries(input)) if (!BUILT_PARTS.has(key)) callerParts[key] = value;
  } else if (record.input !== null) {
    callerParts.input = record.input;
  }

  let out: AuditRecordV1 = record;
  const screened = { declared, callerParts };
  // Screening is bounded by the body limits the request already passed; the record never fails on it.
  const screening = screenPayload(screened, { maxChars: Number.MAX_SAFE_INTEGER });
  if (screening.spans.length > 0) {
    const redacted = redactPayload(
      screened,
      screening,
      SCREENING_CLASSES,
      redactionFormat,
    ) as typeof screened;
    out = { ...out, ...(redacted.declared as Partial<AuditRecordV1>) };
    out.input = input ? { ...input, ...redacted.callerParts } : (redacted.callerParts.input ?? null);
  }
  const subject = isObject(input?.subject) ? input.subject : undefined;
  if (subject && isObject(subject.claims) && identity) {
    const claims = keptClaims(subject.claims, identity.recordedClaims);
    const actor = identity.recordedClaims.includes('act') ? subject.actor : hashOf(subject.actor);
    out = {
      ...out,
      input: { ...(out.input as Record<string, unknown>), subject: { ...subject, claims, actor } },
    };
  }
  return out;
}

// Verified identities are cached and shared between requests (see token-cache.ts): a caller's claims are one
// object for as long as its token is, so their hashes are computed once per token, not once per decision.
const keptByClaims = new WeakMap<object, { recorded: readonly string[]; kept: Record<string, unknown> }>();

function keptClaims(claims: Record<string, unknown>, recorded: readonly string[]): Record<string, unknown> {
  const known = keptByClaims.get(claims);
  if (known !== undefined && known.recorded === recorded) return known.kept;
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(claims))
    kept[name] = recorded.includes(name) ? value : hashOf(value);
  if (Object.isFrozen(claims)) keptByClaims.set(claims, { recorded, kept: Object.freeze(kept) });
  return kept;
}

// The hash lets an investigator who knows a claim's value confirm it was this one, without the log holding it.
function hashOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
