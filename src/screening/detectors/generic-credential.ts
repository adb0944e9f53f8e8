import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isPlaceholderValue } from '../validators/placeholder';
import { looksRandom } from '../validators/random-token';

// Where gitleaks' generic-api-key rule stops: it wants the value to end at a quote, whitespace, ";" or the end
// of the line, so it misses credentials in URL query strings, in prose and in XML key/value pairs. Each
// pattern starts on a literal, has bounded repetitions only, and captures the value in group 1.
const NAME =
  '(?:access[_-]?token|api[_-]?key|apikey|auth[_-]?token|client[_-]?secret|secret|token|key|sig|signature|password|credential)';
const PATTERNS: readonly RegExp[] = [
  // ?access_token=…&  ;api_key=…
  // (no brackets or parentheses: in Markdown, [![badge](https://…?token=…)](https://…) the link ends there)
  new RegExp(`[?&;]${NAME}=([^&#\\s"'<>()[\\]{}]{16,256})`, 'gi'),
  // "the session token is …", "api key: …" in prose
  /\b(?:token|secret|api key|access key|credential|password)s?\s{1,3}(?:is|was|are|=|:)\s{1,3}[`'"]?([A-Za-z0-9_\-+/=.~]{16,256})/gi,
  // Authorization: Bearer …, as a header line, a -H flag, a JSON or code header map ("authorization": "token …"):
  // an HTTP log or a copied request (gitleaks' curl-auth-header wants the word curl before it). The schemes that
  // carry the secret as is: DPoP (RFC 9449), Okta's SSWS, Splunk HEC, Elasticsearch's ApiKey, Django REST
  // Framework's Api-Key, FCM's legacy key=.
  /\bauthorization["'\]]{0,2}\s{0,3}[:=]\s{0,3}["']?(?:(?:bearer|token|basic|dpop|ssws|splunk|api-?key)\s{1,3}|key=)([A-Za-z0-9_\-+/=.~]{16,1024})/gi,
  // "refresh_token": "1//0g…", refresh_token=0.AXEA…: OAuth tokens, opaque, often with "/" and longer than the
  // 150 characters gitleaks' generic rule takes (Microsoft Entra's run to over a thousand).
  /\b(?:refresh|access)[_-]?token["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9_\-+/=.~]{20,4096})/gi,
  // <add key="ServiceAuthKey" value="…" /> (.NET app settings)
  /key="[\w.:-]{0,40}(?:token|secret|key|password|auth|credential)[\w.:-]{0,40}"\s{1,5}value="([^"\s]{8,256})"/gi,
];
// Words that name a token are a variable or a test's fixture, not its value: { refreshToken: refreshTokenFromStorage },
// access_token: "test-access-token-123". A random token holds "token" by chance almost never.
const WORDS = /^[\w$-]+$/;

/**
 * Finds credential-shaped values (random-looking: two of upper case, lower case and digits, eight distinct
 * characters, no placeholder) assigned to a credential-like name where the upstream generic rule does not look.
 */
export const genericCredentialDetector: Detector = {
  name: 'generic-credential',
  detect(text: string, out: TextSpan[]): void {
    for (const re of PATTERNS) {
      eachMatch(re, text, (m) => {
        const value = (m[1] ?? '').replace(/[.,]+$/, '');
        // (A member path such as process.env.X is dropped with every generic credential's, in detect-text.ts.)
        if (!looksRandom(value) || isPlaceholderValue(value)) return;
        if (WORDS.test(value) && /token/i.test(value)) return;
        // token = getToken(…): a call, whose result the text does not hold.
        if (text.charAt(m.index + m[0].length) === '(') return;
        const start = m.index + m[0].lastIndexOf(m[1] as string);
        out.push({ start, end: start + value.length, class: 'generic_credential' });
      });
    }
  },
};
