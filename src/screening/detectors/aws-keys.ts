import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isKnownExampleSecret } from '../validators/known-examples';
import { looksRandom } from '../validators/random-token';

// Access key ids are a 4-letter prefix and 16 base32 characters. The lookbehind and lookahead make a match
// start and end at token boundaries, so a long base64 blob that happens to contain "AKIA…" is not a key.
// Fixed-length quantifiers: each start position costs at most 20 steps.
const ACCESS_KEY = /(?<![A-Za-z0-9/+])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9/+])/g;

// A secret after a name that says it is one: aws_secret_access_key=, AWS_SECRET_ACCESS_KEY:, "SecretAccessKey": ",
// secretAccessKey: '. All quantifiers are bounded; the 40-character value must end at a token boundary.
const NAMED_SECRET =
  /(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?\s{0,5}(?:=>|:=|[:=])\s{0,5}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;

// A bare 40-character token, looked for only near an access key id (CSV exports, "key X secret Y" in chat).
const BARE_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** How far from an access key id a bare secret may sit, in characters. */
const NEAR = 200;

function secretOk(value: string): boolean {
  // Git SHA-1s are also 40 characters: requiring upper case, lower case and digits (hex has no upper case)
  // and 16 distinct characters rules them out; a random 40-character secret lacks one with odds near 0.1%.
  return looksRandom(value, { kinds: 3, minDistinct: 16 }) && !isKnownExampleSecret(value);
}

/** Detects AWS access key ids and secret access keys. */
export const awsKeysDetector: Detector = {
  name: 'aws-keys',
  detect(text: string, out: TextSpan[]): void {
    const secretStarts = new Set<number>();
    const windows: Array<[number, number]> = [];
    eachMatch(ACCESS_KEY, text, (m) => {
      if (isKnownExampleSecret(m[0])) return;
      out.push({ start: m.index, end: m.index + m[0].length, class: 'aws_access_key' });
      windows.push([Math.max(0, m.index - NEAR), m.index + m[0].length + NEAR]);
    });
    eachMatch(NAMED_SECRET, text, (m) => {
      const value = m[1] as string;
      const start = m.index + m[0].length - value.length;
      if (!secretOk(value)) return;
      secretStarts.add(start);
      out.push({ start, end: start + value.length, class: 'aws_secret_key' });
    });
    // Windows come in text order. A search that ran past its window keeps its match for the next window
    // instead of searching again, so no stretch of text is scanned twice and the total work stays linear
    // even when thousands of access key ids sit before one distant 40-character token.
    let next: RegExpExecArray | null | undefined;
    let cursor = 0;
    for (const [from, to] of windows) {
      for (;;) {
        if (next === undefined || (next !== null && next.index < from)) {
          BARE_SECRET.lastIndex = Math.max(from, cursor);
          next = BARE_SECRET.exec(text);
        }
        if (next === null || next.index >= to) break;
        const m = next;
        next = undefined;
        cursor = m.index + m[0].length;
        if (secretStarts.has(m.index) || !secretOk(m[0])) continue;
        secretStarts.add(m.index);
        out.push({ start: m.index, end: cursor, class: 'aws_secret_key' });
      }
    }
  },
};
