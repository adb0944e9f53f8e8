/**
 * Returns whether a token body looks machine-generated: at least `kinds` of {upper case, lower case, digit}
 * and at least `minDistinct` distinct characters. Real keys are random; placeholders (`ghp_xxxx…`,
 * `sk_test_XXXX…`), kebab-case identifiers and words are not. Two kinds is the default because a random
 * 20-character token lacks two of the three with negligible probability, while lacking one (say, no digit:
 * 3% for 20 base64 characters) is common enough to cost recall.
 */
export function looksRandom(token: string, options: { kinds?: 2 | 3; minDistinct?: number } = {}): boolean {
  const { kinds = 2, minDistinct = 8 } = options;
  let upper = 0;
  let lower = 0;
  let digit = 0;
  const seen = new Set<number>();
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    seen.add(c);
  }
  return upper + lower + digit >= kinds && seen.size >= minDistinct;
}
