import { tokenCount } from './usage-tracker';

/** Characters of payload text counted as one token at least: about four a token in English. */
export const CHARS_PER_TOKEN = 4;

/**
 * The prompt tokens an allowed call reserves: the input_tokens its invocation declares, and at least one for
 * every CHARS_PER_TOKEN characters of its payload, so a caller that declares nothing or too little still spends
 * budget for what it sends. A floor, not an estimate: code and Chinese or Japanese text take more tokens per
 * character; a usage report settles the real figure. The shipped policy counts the same (`prompt_tokens` in
 * rego/modelgate/usage.rego).
 */
export function promptTokens(declaredInputTokens: unknown, payloadChars: unknown): number {
  return Math.max(tokenCount(declaredInputTokens), Math.ceil(tokenCount(payloadChars) / CHARS_PER_TOKEN));
}

/**
 * The tokens a recorded allowed decision reserved, read back from its record's max_tokens, input_tokens and
 * payload chars: what the start-up rebuild restores and what a usage report finds its reservation by.
 */
export function recordedReservation(
  maxTokens: unknown,
  declaredInputTokens: unknown,
  payloadChars: unknown,
): number {
  return tokenCount(maxTokens) + promptTokens(declaredInputTokens, payloadChars);
}
