import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isKnownExampleSecret } from '../validators/known-examples';

// header.payload.signature, base64url. A JSON header starts with '{"', which base64url-encodes to "eyJ".
// The lookbehind lets a match start only at the start of a base64url token, so "eyJeyJeyJ…" costs one
// bounded scan, not one per "eyJ". Segment classes exclude ".", so each segment ends deterministically.
// The signature may be empty (alg "none" tokens are still bearer tokens).
const JWT =
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4096}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])/g;

/** Returns whether a base64url segment decodes to a JSON object with a string "alg" (a JOSE header). */
function isJoseHeader(segment: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/** Detects JSON Web Tokens (JWS compact serialisation; the first three segments of a JWE). */
export const jwtDetector: Detector = {
  name: 'jwt',
  detect(text: string, out: TextSpan[]): void {
    if (!text.includes('eyJ')) return;
    eachMatch(JWT, text, (m) => {
      const token = m[0];
      if (!isJoseHeader(token.slice(0, token.indexOf('.'))) || isKnownExampleSecret(token)) return;
      out.push({ start: m.index, end: m.index + token.length, class: 'jwt' });
    });
  },
};
