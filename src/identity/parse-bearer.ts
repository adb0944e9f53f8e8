import { AuthenticationError, ReasonCode } from '../errors';

// RFC 6750 §2.1: the scheme is case-insensitive, then one space, then one b64token.
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** Returns the token of an `Authorization: Bearer <token>` header; throws `token_missing` or `token_malformed`. */
export function parseBearer(authorizationHeader: string | undefined): string {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
    throw new AuthenticationError(ReasonCode.TokenMissing, 'an Authorization: Bearer token is required');
  }
  if (authorizationHeader.includes(',')) {
    throw new AuthenticationError(
      ReasonCode.TokenMalformed,
      'more than one Authorization header or credential was sent; send exactly one Bearer token',
    );
  }
  const match = BEARER.exec(authorizationHeader);
  if (!match?.[1]) {
    throw new AuthenticationError(
      ReasonCode.TokenMalformed,
      'the Authorization header must be "Bearer" followed by one space and one token',
    );
  }
  return match[1];
}
