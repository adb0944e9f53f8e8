// A dotted path of identifiers: process.env.GITHUB_TOKEN, visitor_keys_1.visitorKeys, this.apiKey. Code that
// reads a value, not the value. Each part is letters with at most a two-digit number at its end; the parts of a
// random token mix digits in (AbC93kd.Xq7Lm2), so a token with dots is not taken for a path.
const MEMBER_PATH = /^[A-Za-z_$][A-Za-z_$]*\d{0,2}(?:\.[A-Za-z_$][A-Za-z_$]*\d{0,2})+$/;

/** Returns whether a value found after a credential name is a member-access path in code rather than a literal. */
export function isMemberPath(value: string): boolean {
  return MEMBER_PATH.test(value);
}
