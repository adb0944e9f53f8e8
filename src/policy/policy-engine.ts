/** Identifies the loaded policy in replies and audit records. */
export interface PolicyInfo {
  bundle: string;
  revision: string;
  entrypoints: string[];
}

/** What an evaluation may fix beyond its input. */
export interface EvaluationOptions {
  /**
   * The instant `time.now_ns()` answers, in ms since the epoch: a decision's own time (`input.time.unix_ms`), so
   * that the policy and the record agree and a replay answers as the decision did. Now when not given.
   */
  nowMs?: number;
}

/** Evaluates a compiled policy. `undefined` means the entrypoint produced no result. */
export interface PolicyEngine {
  readonly info: PolicyInfo;
  hasEntrypoint(entrypoint: string): boolean;
  evaluate(input: unknown, entrypoint: string, options?: EvaluationOptions): unknown;
}

/** Thrown when evaluation itself fails (a builtin error, an out-of-memory WASM heap). */
export class PolicyEvaluationError extends Error {}
