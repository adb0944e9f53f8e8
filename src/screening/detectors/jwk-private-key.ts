import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';

// The private members of a JSON Web Key (RFC 7518 §6.2.2 and §6.3.2): "d" of an EC, RSA or OKP key, the RSA
// primes and CRT values, and "k" of a symmetric (oct) key. Each value is base64url; 16 characters or more.
const PRIVATE_MEMBER = /"(?:d|p|q|dp|dq|qi|k)"\s{0,3}:\s{0,3}"([A-Za-z0-9_-]{16,8192})"/g;
// A JWK names its key type; without "kty" in the text, "d" is just a field called d.
const KEY_TYPE = /"kty"\s{0,3}:\s{0,3}"(?:RSA|EC|OKP|oct)"/;

/** Finds the private members of a JWK (a JSON object with "kty" and "d", primes, or "k"). */
export const jwkPrivateKeyDetector: Detector = {
  name: 'jwk-private-key',
  detect(text: string, out: TextSpan[]): void {
    if (!text.includes('"kty"') || !KEY_TYPE.test(text)) return;
    eachMatch(PRIVATE_MEMBER, text, (m) => {
      const value = m[1] as string;
      const start = m.index + m[0].length - value.length - 1;
      out.push({ start, end: start + value.length, class: 'private_key' });
    });
  },
};
