import { createHash } from 'node:crypto';
import { AuditRecordError } from '../audit/audit-errors';
import type { AuditRecordV1 } from '../audit/audit-record';
import { boundRecord, STRING_COLUMNS, type RecordLimits } from '../audit/bound-record';
import { canonicalJson } from '../audit/canonical-json';
import type { VerifiedIdentity } from '../identity';
import {
  cacheScope,
  callerScope,
  redactPayload,
  SCREENING_CLASSES,
  screenPayload,
  textKey,
  type ScreeningCache,
  type ScreeningPool,
} from '../screening';

// The record's own copies of what the caller declared; they are indexed columns, so they are screened too.
// `path` as well: after /v1/data/ it is whatever the caller typed, and a key pasted there was stored as sent.
const DECLARED_COLUMNS = ['model', 'provider', 'operation', 'purpose', 'path'] as const;
// Parts of the policy input modelgate builds itself: nothing the caller typed, so nothing to screen.
const BUILT_PARTS = new Set(['subject', 'payload', 'usage', 'time', 'approval']);

/** What makes a decision's record storable: the limits on caller-controlled values and the redaction marker. */
export interface RecordPreparation {
  limits: RecordLimits;
  redactionFormat: string;
  /** Size of the cache each thread that prepares records keeps (screening.cache_entries); absent: none. */
  cacheEntries?: number;
}

/** The string columns that preparation changed (cut to size or redacted), with their stored values. */
export type PreparedColumns = Partial<Pick<AuditRecordV1, (typeof STRING_COLUMNS)[number]>>;

/**
 * Returns a decision's record as the audit log may keep it: caller-controlled values bounded (boundRecord),
 * then every string the caller declared (the invocation columns, `input.invocation`, `input.context`, anything
 * else a Data API caller sent) screened like the payload and redacted, with the string columns this changed (the
 * observers, such as the decision's log line, read them from the record the event loop keeps).
 * Self-contained, so it runs where the record is written: on the SQLite writer thread, off the event loop. The
 * policy has already seen the values as they were. With `cache`, values the same subject declared before (its
 * model, purpose, most of its context) are not screened again (see screening-cache.ts).
 */
export function storableRecord(
  record: AuditRecordV1,
  preparation: RecordPreparation,
  cache?: ScreeningCache,
): { record: AuditRecordV1; changed: PreparedColumns | undefined } {
  // Bounded, then screened: what the caller controls is cut to size before anything scans it.
  const bounded = boundRecord(record, preparation.limits);
  const prepared = screenedRecord(bounded, preparation.redactionFormat, cache);
  let changed: Record<string, unknown> | undefined;
  for (const column of STRING_COLUMNS) {
    if (prepared[column] !== record[column]) (changed ??= {})[column] = prepared[column];
  }
  return { record: prepared, changed: changed as PreparedColumns | undefined };
}

/**
 * Makes a decision's record storable and appends it with `append`; resolves with the string columns that changed.
 * A preparation that throws refuses this record alone (AuditRecordError), like a record the log refuses.
 */
export async function appendStorable(
  append: (record: AuditRecordV1) => Promise<void>,
  record: AuditRecordV1,
  preparation: RecordPreparation,
  cache?: ScreeningCache,
): Promise<PreparedColumns | undefined> {
  let storable: ReturnType<typeof storableRecord>;
  try {
    storable = storableRecord(record, preparation, cache);
  } catch (err) {
    throw new AuditRecordError(`cannot prepare the record: ${(err as Error).message}`);
  }
  await append(storable.record);
  return storable.changed;
}

function screenedRecord(
  record: AuditRecordV1,
  redactionFormat: string,
  cache: ScreeningCache | undefined,
): AuditRecordV1 {
  const declared: Record<string, unknown> = {};
  for (const column of DECLARED_COLUMNS) if (record[column] !== null) declared[column] = record[column];
  const input = isObject(record.input) ? record.input : undefined;
  const { builtParts, callerParts } = splitInput(input, record.input);
  // The policy's own output too: a reason message or an obligation may repeat what the caller sent.
  const screened = { declared, callerParts, result: record.result, obligations: record.obligations };
  // Only a verified subject's values are cached: an anonymous request has no caller to scope them to. A
  // subject mostly declares the same values call after call, so the whole set is looked up first, by one hash
  // of its JSON text (equal text, equal values), before its texts are, one hash each.
  const scope = record.subject === null ? undefined : callerScope(record.issuer ?? '', record.subject);
  const cached = cacheScope(cache, scope);
  const whole = cached && textKey(cached.scope, 'record', JSON.stringify(screened));
  if (cached && whole !== undefined && cached.cache.get(whole)?.length === 0) return record;
  // Screening is bounded by the body limits the request already passed; the record never fails on it.
  const screening = screenPayload(screened, { maxChars: Number.MAX_SAFE_INTEGER, cache, scope });
  if (screening.spans.length === 0) {
    if (cached && whole !== undefined) cached.cache.set(whole, []);
    return record;
  }
  const redacted = redactPayload(screened, screening, SCREENING_CLASSES, redactionFormat) as typeof screened;
  return {
    ...record,
    ...(redacted.declared as Partial<AuditRecordV1>),
    // The built parts and the redacted caller parts only: spreading the input first kept a member whose name
    // was redacted under its original name as well.
    input: input ? { ...builtParts, ...redacted.callerParts } : (redacted.callerParts.input ?? null),
    result: redacted.result,
    obligations: redacted.obligations,
  };
}

// The input's members modelgate built and the caller's, each as own members: an assignment would turn a
// caller's "__proto__" member (JSON.parse makes it an own one) into a prototype that screening never reads.
function splitInput(
  input: Record<string, unknown> | undefined,
  raw: unknown,
): { builtParts: Record<string, unknown>; callerParts: Record<string, unknown> } {
  if (!input) return { builtParts: {}, callerParts: raw === null ? {} : { input: raw } };
  const entries = Object.entries(input);
  return {
    builtParts: Object.fromEntries(entries.filter(([key]) => BUILT_PARTS.has(key))),
    callerParts: Object.fromEntries(entries.filter(([key]) => !BUILT_PARTS.has(key))),
  };
}

/**
 * Returns the record with, of the token's claims, only the issuer's `recorded_claims` as they are and the
 * others as `sha256:<hex>` of their canonical JSON (the actor too, unless `act` is recorded). Cheap: the
 * hashes of a cached identity's claims are computed once (see keptClaims).
 */
export function withRecordedClaims(
  record: AuditRecordV1,
  identity: VerifiedIdentity | undefined,
): AuditRecordV1 {
  const input = isObject(record.input) ? record.input : undefined;
  const subject = isObject(input?.subject) ? input.subject : undefined;
  if (!subject || !isObject(subject.claims) || !identity) return record;
  const claims = keptClaims(subject.claims, identity.recordedClaims);
  const actor = identity.recordedClaims.includes('act') ? subject.actor : hashOf(subject.actor);
  return { ...record, input: { ...input, subject: { ...subject, claims, actor } } };
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

/**
 * Returns values a caller declared, screened with every finding redacted as the audit record keeps them, for a
 * store beside the log (an approval). On the screening pool when there is one: the values may be large.
 */
export async function redactedDeclared<T extends Record<string, unknown>>(
  values: T,
  redactionFormat: string,
  pool: ScreeningPool | undefined,
): Promise<T> {
  // Bounded by the body limits the request already passed, as the record's screening is.
  const maxChars = Number.MAX_SAFE_INTEGER;
  const screening = pool ? await pool.screen(values, { maxChars }) : screenPayload(values, { maxChars });
  if (screening.spans.length === 0) return values;
  const redacted = pool
    ? await pool.redact(values, screening, SCREENING_CLASSES, redactionFormat)
    : redactPayload(values, screening, SCREENING_CLASSES, redactionFormat);
  return redacted as T;
}
