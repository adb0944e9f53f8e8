import { JsonWebTokenError, NotBeforeError, TokenExpiredError } from 'jsonwebtoken';
import { AuthenticationError, ReasonCode } from '../errors';
import { audienceRefusal } from './claim-text';

/**
 * Returns the AuthenticationError for an error thrown by verifyJwt (jsonwebtoken's errors, for EdDSA too); its
 * messages never contain the token. An audience refusal names the token's `aud` (from `claims`, which the signature
 * has vouched for by then).
 */
export function mapJwtError(error: unknown, claims: Readonly<Record<string, unknown>>): AuthenticationError {
  // Subclasses first: both extend JsonWebTokenError.
  if (error instanceof TokenExpiredError) {
    return new AuthenticationError(ReasonCode.TokenExpired, 'token has expired', { cause: error });
  }
  if (error instanceof NotBeforeError) {
    return new AuthenticationError(ReasonCode.TokenNotYetValid, 'token is not valid yet (nbf)', {
      cause: error,
    });
  }
  const message = error instanceof JsonWebTokenError ? error.message : '';
  if (message.startsWith('jwt audience invalid')) {
    return new AuthenticationError(ReasonCode.AudienceInvalid, audienceRefusal('aud', claims.aud), {
      cause: error,
    });
  }
  if (message.startsWith('jwt issuer invalid')) {
    return new AuthenticationError(ReasonCode.IssuerUnknown, 'token issuer is not trusted', { cause: error });
  }
  if (message === 'invalid exp value' || message === 'invalid nbf value') {
    const claim = message === 'invalid exp value' ? 'exp' : 'nbf';
    return new AuthenticationError(ReasonCode.TokenMalformed, `token ${claim} claim must be a number`, {
      cause: error,
    });
  }
  // Everything else — a wrong signature, a missing one, a signature the key cannot even parse — fails closed.
  return new AuthenticationError(ReasonCode.SignatureInvalid, 'token signature is invalid', { cause: error });
}
