import { AuthenticationError, ReasonCode } from '../errors';

/** The authorization schemes modelgate takes: RFC 6750 bearer tokens and RFC 9449 DPoP-bound tokens. */
export type AuthScheme = 'bearer' | 'dpop';

/** A token and the scheme it was presented with. */
export interface PresentedToken {
  scheme: AuthScheme;
  token: string;
}

// RFC 6750 section 2.1 and RFC 9449 section 7.1: the scheme is case-insensitive, then one space, then one token68.
const CREDENTIAL = /^(bearer|dpop) ([A-Za-z0-9\-._~+/]+=*)$/i;

/** Returns the scheme and token of `Authorization: Bearer|DPoP <token>`; throws `token_missing` or `token_malformed`. */
export function parseAuthorization(authorizationHeader: string | undefined): PresentedToken {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
    throw new AuthenticationError(ReasonCode.TokenMissing, 'an Authorization: Bearer token is required');
  }
  if (authorizationHeader.includes(',')) {
    throw new AuthenticationError(
      ReasonCode.TokenMalformed,
      'more than one Authorization header or credential was sent; send exactly one token',
    );
  }
  const match = CREDENTIAL.exec(authorizationHeader);
  if (!match?.[1] || !match[2]) {
    throw new AuthenticationError(
      ReasonCode.TokenMalformed,
      'the Authorization header must be "Bearer" or "DPoP" followed by one space and one token',
    );
  }
  return { scheme: match[1].toLowerCase() as AuthScheme, token: match[2] };
}

/** Returns the scheme an Authorization header names, for the challenge of a refusal; undefined when none. */
export function schemeOf(authorizationHeader: string | undefined): AuthScheme | undefined {
  if (authorizationHeader === undefined) return undefined;
  return /^dpop /i.test(authorizationHeader) ? 'dpop' : 'bearer';
}
