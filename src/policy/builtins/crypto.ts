import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { BuiltinTable } from './builtin';
import { stringOperand } from './strings';

/** Returns the lowercase hex digest of a string's UTF-8 bytes, as OPA's crypto.md5/sha1/sha256 do. */
function digest(algorithm: string): (context: unknown, value: unknown) => string {
  return (_, value) => createHash(algorithm).update(stringOperand(value), 'utf8').digest('hex');
}

/** Returns the lowercase hex HMAC of a message under a key, both taken as UTF-8 bytes (Go's crypto/hmac). */
function hmac(algorithm: string): (context: unknown, message: unknown, key: unknown) => string {
  return (_, message, key) => {
    const text = stringOperand(message);
    return createHmac(algorithm, Buffer.from(stringOperand(key), 'utf8'))
      .update(text, 'utf8')
      .digest('hex');
  };
}

/**
 * Returns whether two MACs are the same bytes, in time that depends only on their lengths (Go's hmac.Equal),
 * so that a policy comparing a presented MAC with the expected one does not leak how much of it matched.
 */
function macsEqual(first: unknown, second: unknown): boolean {
  const a = Buffer.from(stringOperand(first), 'utf8');
  const b = Buffer.from(stringOperand(second), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** OPA's digest and HMAC builtins; x509 and key parsing are left out (a bundle calling them is refused). */
export const cryptoBuiltins: BuiltinTable = {
  'crypto.md5': digest('md5'),
  'crypto.sha1': digest('sha1'),
  'crypto.sha256': digest('sha256'),
  'crypto.hmac.md5': hmac('md5'),
  'crypto.hmac.sha1': hmac('sha1'),
  'crypto.hmac.sha256': hmac('sha256'),
  'crypto.hmac.sha512': hmac('sha512'),
  'crypto.hmac.equal': (_, first, second) => macsEqual(first, second),
};
