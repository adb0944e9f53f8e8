/** Identifies the loaded policy in replies and audit records. */
export interface PolicyInfo {
  bundle: string;
  revision: string;
  entrypoints: string[];
}

/** Evaluates a compiled policy. `undefined` means the entrypoint produced no result. */
export interface PolicyEngine {
  readonly info: PolicyInfo;
  hasEntrypoint(entrypoint: string): boolean;
  evaluate(input: unknown, entrypoint: string): unknown;
}

/** Thrown when evaluation itself fails (a builtin error, an out-of-memory WASM heap). */
export class PolicyEvaluationError extends Error {}
