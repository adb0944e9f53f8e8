import type { KeyObject } from 'node:crypto';
import jwt, { JsonWebTokenError, NotBeforeError, TokenExpiredError } from 'jsonwebtoken';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';
import { keyFamilyOf } from './algorithms';
import { jwsSignatureVerifies } from './jws-signature';

/** What a JWT is checked against: the subset of jsonwebtoken's verify options modelgate uses. */
export interface JwtChecks {
  /** The one `alg` the header must name. */
  algorithm: JwtAlgorithm;
  /** The `iss` the token must carry; not checked when absent. */
  issuer?: string;
  /** The token's `aud` (a string or an array) must name one of these; not checked when absent. */
  audience?: readonly string[];
  /** Seconds by which exp and nbf may be missed (default 0). */
  clockTolerance?: number;
  /** Now, in seconds since the epoch. */
  clockTimestamp: number;
}

/**
 * Returns the payload of a JWT whose signature, `nbf`, `exp`, `aud` and `iss` check out; throws jsonwebtoken's
 * errors (JsonWebTokenError, NotBeforeError, TokenExpiredError). jsonwebtoken verifies what it knows; EdDSA,
 * Ed25519 and Ed448, which jsonwebtoken 9 cannot, are verified here with node:crypto.
 */
export function verifyJwt(token: string, key: KeyObject, checks: JwtChecks): unknown {
  if (keyFamilyOf(checks.algorithm) === 'okp') return verifyOkpJwt(token, key, checks);
  return jwt.verify(token, key, {
    // Every other JwtAlgorithm is one of jsonwebtoken's.
    algorithms: [checks.algorithm as jwt.Algorithm],
    ...(checks.issuer !== undefined && { issuer: checks.issuer }),
    ...(checks.audience !== undefined && { audience: [...checks.audience] as [string, ...string[]] }),
    clockTolerance: checks.clockTolerance,
    clockTimestamp: checks.clockTimestamp,
  });
}

// What jwt.verify (jsonwebtoken 9.0, verify.js) does with the options above, in its order and with its error classes
// and messages: whoever maps its errors (map-jwt-error.ts, the bundle verifier) then answers an EdDSA token exactly
// as an ES256 one, which test/identity/eddsa-parity.test.ts holds it to.
function verifyOkpJwt(token: string, key: KeyObject, checks: JwtChecks): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JsonWebTokenError('jwt malformed');
  const header = jsonSegment(parts[0]!);
  const payload = jsonSegment(parts[1]!);
  if (!header || !payload) throw new JsonWebTokenError('invalid token');
  if (header.alg !== checks.algorithm) throw new JsonWebTokenError('invalid algorithm');
  if (parts[2]!.trim() === '') throw new JsonWebTokenError('jwt signature is required');
  if (!jwsSignatureVerifies(token, checks.algorithm, key)) throw new JsonWebTokenError('invalid signature');
  checkTimes(payload, checks);
  checkAudience(payload, checks.audience);
  if (checks.issuer !== undefined && payload.iss !== checks.issuer) {
    throw new JsonWebTokenError(`jwt issuer invalid. expected: ${checks.issuer}`);
  }
  return payload;
}

function checkTimes(payload: Record<string, unknown>, checks: JwtChecks): void {
  const now = checks.clockTimestamp;
  const tolerance = checks.clockTolerance ?? 0;
  const { nbf, exp } = payload;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') throw new JsonWebTokenError('invalid nbf value');
    if (nbf > now + tolerance) throw new NotBeforeError('jwt not active', new Date(nbf * 1000));
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') throw new JsonWebTokenError('invalid exp value');
    if (now >= exp + tolerance) throw new TokenExpiredError('jwt expired', new Date(exp * 1000));
  }
}

function checkAudience(payload: Record<string, unknown>, audience: readonly string[] | undefined): void {
  if (audience === undefined) return;
  const named = Array.isArray(payload.aud) ? (payload.aud as unknown[]) : [payload.aud];
  if (!named.some((value) => audience.some((accepted) => accepted === value))) {
    throw new JsonWebTokenError(`jwt audience invalid. expected: ${audience.join(' or ')}`);
  }
}

function jsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
