import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { allowedByUpstreamRule } from '../rules/upstream-rules';
import { looksRandom } from '../validators/random-token';

// A key, token or secret name, then an assignment or a header's colon, then 32-64 hex digits. gitleaks'
// generic-api-key rule finds such values only above a Shannon entropy of 3.5, which one random 32-digit hex key
// in five falls below (16 symbols over 32 places repeat): Azure OpenAI and Azure AI services keys, Datadog,
// Twilio and many more are 32 hex digits. The search starts on the literal word; repetitions are bounded.
const HEX_ASSIGNMENT =
  /(key|token|secret)["'\]]{0,2}\s{0,3}(?:=>|:=|[:=])\s{0,3}["'`]?([0-9a-f]{32,64}|[0-9A-F]{32,64})(?![\w-])/gi;
/** Returns the name characters (letters, digits, "_", ".", "-") right before `end`, at most 40. */
function nameBefore(text: string, end: number): string {
  let start = end;
  while (start > end - 40 && start > 0 && /[A-Za-z0-9_.-]/.test(text.charAt(start - 1))) start--;
  return text.slice(start, end);
}
// Words naming a digest, an id or a cursor, not a credential (cache_key, etag-like keys, pagination tokens),
// when the last word of the name before key/token/secret is one of them. A bare "key" (a map's key, an object's
// storage key) needs a word before it naming what it opens.
const NOT_CREDENTIAL = new Set(
  (
    'cache hash checksum digest idempotency primary public pub foreign sort partition object row commit md5 ' +
    'fingerprint lookup map file bucket s3 next page continuation sync cursor resume state request csrf xsrf ' +
    'trace dedup dedupe sessionid id'
  ).split(' '),
);

/** Returns the words of a name: split at "_", ".", "-" and where a capital follows a lower-case letter or digit. */
function wordsOf(name: string): string[] {
  return name
    .split(/[_.-]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/** Whether the name ending in `word` (its text before the word is `prefix`) names a credential. */
function credentialName(prefix: string, word: string): boolean {
  const last = wordsOf(prefix).at(-1);
  if (last === undefined) return word.toLowerCase() !== 'key';
  return !NOT_CREDENTIAL.has(last) && !/^sha\d*$/.test(last);
}

/**
 * Detects a 32-64 digit hex key assigned to a key, token or secret name (`AZURE_OPENAI_KEY=…`,
 * `"api_key": "…"`, `Ocp-Apim-Subscription-Key: …`) that looks random: a letter, a digit, ten distinct digits.
 */
export const hexKeyAssignmentDetector: Detector = {
  name: 'hex-key-assignment',
  detect(text: string, out: TextSpan[]): void {
    eachMatch(HEX_ASSIGNMENT, text, (m) => {
      const value = m[2] as string;
      if (!/[a-f]/i.test(value) || !/[0-9]/.test(value) || !looksRandom(value, { minDistinct: 10 })) return;
      const prefix = nameBefore(text, m.index);
      if (!credentialName(prefix, m[1] as string)) return;
      // gitleaks' generic rule's allowlists (stop words such as a widely published key, names such as key_id)
      // still apply: this detector only lifts its entropy threshold.
      // The line before the match, read back at most 1 KiB (as the upstream rules do) so that a long text
      // without newlines costs no more than its length.
      const head = text.slice(Math.max(0, m.index - 1024), m.index);
      const line = head.slice(head.lastIndexOf('\n') + 1) + m[0];
      if (allowedByUpstreamRule('generic-api-key', value, prefix + m[0], line)) return;
      const start = m.index + m[0].length - value.length;
      out.push({
        start,
        end: start + value.length,
        class: 'generic_credential',
        rule: 'modelgate-hex-key-assignment',
      });
    });
  },
};
