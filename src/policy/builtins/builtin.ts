/**
 * What OPA fixes for the length of one query: `time.now_ns()` answers the same instant however often a
 * policy calls it, and `rand.intn` / `uuid.rfc4122` answer the same value for the same arguments.
 */
export interface EvaluationContext {
  /** The evaluation's start, in nanoseconds since the Unix epoch. */
  readonly nowNs: bigint;
  /** Values a builtin must repeat within this evaluation, by builtin name and arguments. */
  readonly memo: Map<string, unknown>;
}

/**
 * One of OPA's builtins that the WASM module leaves to its host. Arguments arrive as JSON values (numbers as
 * JS numbers; sets as arrays, as the SDK serialises them). Returns the result as a JSON value, or a `RawJson` for
 * numbers a double cannot hold, or `undefined` where OPA's evaluator makes the call undefined (a builtin error:
 * OPA without `--strict-builtin-errors`).
 */
export type Builtin = (context: EvaluationContext, ...args: unknown[]) => unknown;

/** Builtins by their Rego name (`time.clock`). */
export type BuiltinTable = Readonly<Record<string, Builtin>>;

/** A result handed to the module as JSON text as it is: integers beyond 2^53 (nanosecond times) stay exact. */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Thrown where modelgate bounds a builtin's work (a range too long to list, a result too large): the evaluation
 * fails and the decision is a deny with policy_error. An undefined call would be wrong here, as a deny rule
 * whose condition is undefined does not deny.
 */
export class BuiltinLimitError extends Error {
  override name = 'BuiltinLimitError';
}
