import { AuthenticationError, ReasonCode } from '../errors';
import { checkBodyLimits, type BodyLimits } from '../schemas/body-limits';
import { parseStrictJson, StrictJsonError } from '../schemas/strict-json';

/** A compact JWS split and parsed, NOT verified: nothing in it may be trusted yet. */
export interface UnverifiedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** What a compact JWS is called in refusals, and the codes they carry. */
export interface JwsRole {
  name: string;
  malformed: ReasonCode;
  tooLarge: ReasonCode;
}

/** An access token: refusals are `token_malformed` and `token_claims_too_large`. */
export const ACCESS_TOKEN: JwsRole = {
  name: 'token',
  malformed: ReasonCode.TokenMalformed,
  tooLarge: ReasonCode.TokenClaimsTooLarge,
};

/** A DPoP proof (RFC 9449): every refusal is `dpop_proof_invalid`. */
export const DPOP_PROOF: JwsRole = {
  name: 'DPoP proof',
  malformed: ReasonCode.DpopProofInvalid,
  tooLarge: ReasonCode.DpopProofInvalid,
};

/** Tokens larger than this are refused before any parsing (HTTP servers cap headers near 16 KiB anyway). */
export const MAX_TOKEN_BYTES = 16 * 1024;

/**
 * The shape claims may have. Real tokens nest two or three levels (act chains, address, groups);
 * a deeper one only serves to exhaust the stack of whatever copies, freezes or records it.
 */
export const CLAIM_LIMITS: BodyLimits = { maxDepth: 8, maxArrayItems: 1_000, maxObjectKeys: 256 };

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** Returns the parsed header and payload of a compact JWS, or throws the role's `malformed` code. Verifies nothing. */
export function decodeUnverified(token: string, role: JwsRole = ACCESS_TOKEN): UnverifiedToken {
  const malformed = (message: string) => new AuthenticationError(role.malformed, `${role.name} ${message}`);
  if (token.length > MAX_TOKEN_BYTES) throw malformed('is too large');
  const segments = token.split('.');
  if (segments.length !== 3) throw malformed('is not three dot-separated segments');
  const [header, payload, signature] = segments as [string, string, string];
  if (!header || !payload || !SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) {
    throw malformed('segments are not base64url');
  }
  const parsed = {
    header: parseSegment(header, 'header', malformed),
    payload: parseSegment(payload, 'payload', malformed),
  };
  const tooBig = checkBodyLimits(parsed.payload, CLAIM_LIMITS);
  if (tooBig) {
    throw new AuthenticationError(
      role.tooLarge,
      `${role.name} claims break a limit at ${tooBig.pointer}: ${tooBig.message}`,
    );
  }
  return parsed;
}

function parseSegment(
  segment: string,
  name: string,
  malformed: (message: string) => AuthenticationError,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseStrictJson(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (err) {
    // Duplicate claims could read differently to jsonwebtoken and to us (RFC 7519 section 4: reject).
    if (err instanceof StrictJsonError) throw malformed(`${name} is not strict JSON: ${err.message}`);
    // JSON.parse messages quote the input; the token must never be echoed, so no cause is kept.
    throw malformed(`${name} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
