/** The longest rendering of a token's claim a refusal message quotes; a token can carry a claim of any size. */
const MAX_QUOTED_CHARS = 120;

/**
 * Returns a claim's value as JSON for a refusal's message, cut to a bounded length: it tells the caller which
 * value its token carried (an `iss` with a trailing slash, an ID token's `aud`), which it holds anyway.
 */
export function quoteClaim(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= MAX_QUOTED_CHARS ? json : `${json.slice(0, MAX_QUOTED_CHARS)}…`;
}

/** The message of an `audience_invalid` refusal: the audience claim the token holds, or that it holds none. */
export function audienceRefusal(claim: string, value: unknown): string {
  if (value === undefined) return `token has no ${claim} claim naming an accepted audience`;
  return `token ${claim} ${quoteClaim(value)} is not accepted by this issuer`;
}
