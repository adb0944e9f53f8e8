import { AuthenticationError, ReasonCode } from '../errors';

/** A compact JWS split and parsed, NOT verified: nothing in it may be trusted yet. */
export interface UnverifiedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Tokens larger than this are refused before any parsing (HTTP servers cap headers near 16 KiB anyway). */
export const MAX_TOKEN_BYTES = 16 * 1024;

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** Returns the parsed header and payload of a compact JWS, or throws `token_malformed`. Verifies nothing. */
export function decodeUnverified(token: string): UnverifiedToken {
  if (token.length > MAX_TOKEN_BYTES) throw malformed('token is too large');
  const segments = token.split('.');
  if (segments.length !== 3) throw malformed('token is not three dot-separated segments');
  const [header, payload, signature] = segments as [string, string, string];
  if (!header || !payload || !SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) {
    throw malformed('token segments are not base64url');
  }
  return { header: parseSegment(header, 'header'), payload: parseSegment(payload, 'payload') };
}

function parseSegment(segment: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    // JSON.parse messages quote the input; the token must never be echoed, so no cause is kept.
    throw malformed(`token ${name} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`token ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function malformed(message: string): AuthenticationError {
  return new AuthenticationError(ReasonCode.TokenMalformed, message);
}
