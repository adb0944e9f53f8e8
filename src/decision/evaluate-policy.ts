import { ReasonCode } from '../errors';
import type { PolicyEngine } from '../policy/policy-engine';
import type { DecisionV1 } from '../schemas/decision-document.schema';
import { validateDecisionDocument } from '../schemas/validators';
import { isScreeningClass } from '../screening';
import { evaluateOrThrow } from './steps';

/**
 * Returns the decision's own time from its input document (`time.unix_ms`): `time.now_ns()` answers it, so the
 * policy, the input and the audit record agree on one instant and a replay of the record answers as it did.
 */
function decisionTime(input: unknown): number | undefined {
  const time = (input as { time?: { unix_ms?: unknown } } | null)?.time;
  return typeof time?.unix_ms === 'number' ? time.unix_ms : undefined;
}

/** What the policy said, or the deny modelgate put in its place. */
export interface PolicyVerdict {
  /** The decision document to enforce: the policy's own, or a fail-closed deny. */
  decision: DecisionV1;
  /** The policy's raw result, recorded as is (undefined when it produced none). */
  raw: unknown;
}

/**
 * Returns the policy's decision for this input, failing closed:
 * an undefined result or a document that fails the schema becomes a deny `policy_output_invalid`;
 * an evaluation error throws UnavailableError `policy_error` (503).
 */
export function evaluatePolicy(engine: PolicyEngine, input: unknown, entrypoint: string): PolicyVerdict {
  const raw = evaluateOrThrow(engine, input, entrypoint, { nowMs: decisionTime(input) });
  if (raw === undefined) {
    return { raw, decision: invalidOutput(`${entrypoint} is undefined for this input`) };
  }
  const document = withShortMessages(raw);
  if (!validateDecisionDocument(document)) {
    const problems = validateDecisionDocument.problems(document);
    const where = problems.map((p) => `${p.pointer} ${p.message}`).join('; ');
    return { raw, decision: invalidOutput(`the policy returned an invalid decision document: ${where}`) };
  }
  const unknown = unknownRedactClasses(document);
  if (unknown.length > 0) {
    // A typo such as "emails" must not quietly redact nothing: the policy is wrong, so it is a deny.
    return {
      raw,
      decision: invalidOutput(`redact names classes screening does not know: ${unknown.join(', ')}`),
    };
  }
  return { raw, decision: document };
}

/** The longest reason message a decision carries (the schema's maxLength, in code points, as ajv counts). */
const MAX_MESSAGE_CHARS = 1024;

/**
 * Returns the document with each over-long reason message cut to MAX_MESSAGE_CHARS, ending in "…"; the raw output
 * is left as it was, for the record. A message that quotes its input (a long subject, a model name) would
 * otherwise turn the policy's deny, and its reason code, into policy_output_invalid.
 */
function withShortMessages(raw: unknown): unknown {
  const reasons = (raw as { reasons?: unknown } | null)?.reasons;
  if (!Array.isArray(reasons) || !reasons.some(isLongMessage)) return raw;
  const shortened = reasons.map((reason: unknown) =>
    isLongMessage(reason) ? { ...reason, message: shorten(reason.message) } : reason,
  );
  return { ...(raw as object), reasons: shortened };
}

function isLongMessage(reason: unknown): reason is { message: string } {
  const message = (reason as { message?: unknown } | null)?.message;
  // A string's UTF-16 length is at least its code-point count: only those longer can be over.
  return (
    typeof message === 'string' &&
    message.length > MAX_MESSAGE_CHARS &&
    [...message].length > MAX_MESSAGE_CHARS
  );
}

function shorten(message: string): string {
  return `${[...message].slice(0, MAX_MESSAGE_CHARS - 1).join('')}…`;
}

function unknownRedactClasses(decision: DecisionV1): string[] {
  return (decision.obligations ?? [])
    .filter((o) => o.type === 'redact')
    .flatMap((o) => o.classes as string[])
    .filter((c) => !isScreeningClass(c));
}

function invalidOutput(message: string): DecisionV1 {
  return { allow: false, reasons: [{ code: ReasonCode.PolicyOutputInvalid, message }], obligations: [] };
}
