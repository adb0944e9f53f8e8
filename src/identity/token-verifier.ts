import type { VerifiedIdentity } from './verified-identity';

/** Turns a bearer token into a verified identity, or throws AuthenticationError with a reason code. */
export interface TokenVerifier {
  /**
   * Returns the identity the token proves. Throws AuthenticationError (401, an identity reason code)
   * for a refused token, and UnavailableError `keys_unavailable` (503) when a JWKS URL cannot be fetched.
   */
  verify(token: string): Promise<VerifiedIdentity>;
}
