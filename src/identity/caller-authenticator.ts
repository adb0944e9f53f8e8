import type { Logger } from 'pino';
import { AuthenticationError, ModelgateError, ReasonCode } from '../errors';
import type { DpopChecker } from './dpop-checker';
import { parseAuthorization, type AuthScheme } from './parse-authorization';
import type { TokenVerifier } from './token-verifier';
import type { VerifiedIdentity } from './verified-identity';

/** What a request presents to prove who calls: plain values, read from its headers and request line. */
export interface PresentedCredentials {
  /** The Authorization header; several are joined by ", " (and refused). */
  authorization: string | undefined;
  /** Each DPoP header, in order. */
  dpop: readonly string[];
  method: string;
  /** The request-target as sent: path and query. */
  target: string;
}

/** Turns a request's credentials into the verified caller, or throws with a reason code. */
export interface CallerAuthenticator {
  /**
   * Returns the identity the request proves: its token verified, and for a token bound to a key, this request's
   * proof of that key. Throws AuthenticationError (401), TooManyRequestsError (429 dpop_replay_quota_exceeded) or
   * UnavailableError (503 keys_unavailable, dpop_replay_cache_full, dpop_replay_cache_unavailable).
   */
  authenticate(credentials: PresentedCredentials): Promise<VerifiedIdentity>;
  /** The algorithms DPoP proofs may use, for the `algs` of a challenge; empty when DPoP is not enabled. */
  readonly dpopAlgorithms: readonly string[];
  /** Returns the nonce for a client's next DPoP proof (the `DPoP-Nonce` header), or undefined without dpop.nonce. */
  dpopNonce(): string | undefined;
}

/**
 * The one way every route authenticates a caller. The verified-token cache sits behind `verifier`, so a cached
 * token still has its binding checked here, and a DPoP proof is checked on every request.
 */
export class RequestAuthenticator implements CallerAuthenticator {
  readonly dpopAlgorithms: readonly string[];

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly dpop: DpopChecker | undefined,
    private readonly logger: Logger,
  ) {
    this.dpopAlgorithms = dpop?.algorithms ?? [];
  }

  dpopNonce(): string | undefined {
    return this.dpop?.nonce();
  }

  async authenticate(credentials: PresentedCredentials): Promise<VerifiedIdentity> {
    const { scheme, token } = parseAuthorization(credentials.authorization);
    if (scheme === 'dpop' && !this.dpop) {
      throw new AuthenticationError(
        ReasonCode.TokenMalformed,
        'the DPoP scheme is not enabled on this service (dpop.public_urls is not configured); send a Bearer token',
      );
    }
    const identity = await this.verifier.verify(token);
    try {
      await this.confirmBinding(identity, scheme, token, credentials);
    } catch (error) {
      // A verified token refused for its binding: a stolen sender-constrained token looks like this. The token id
      // (jti or a hash) lets a log line be matched with the token's other uses; the token itself is never logged.
      if (error instanceof ModelgateError) {
        this.logger.debug({ code: error.code, tokenId: identity.tokenId }, 'token binding refused');
      }
      throw error;
    }
    return identity;
  }

  private async confirmBinding(
    identity: VerifiedIdentity,
    scheme: AuthScheme,
    token: string,
    credentials: PresentedCredentials,
  ): Promise<void> {
    const { binding } = identity;
    if (binding.kind === 'dpop' && scheme === 'bearer') {
      // RFC 9449 section 7.2: a DPoP-bound token is never accepted as a bearer token, proof or not.
      throw new AuthenticationError(
        ReasonCode.DpopRequired,
        'the token is bound to a DPoP key (cnf.jkt): send it as Authorization: DPoP with a DPoP proof',
      );
    }
    if (scheme === 'dpop' && binding.kind !== 'dpop') {
      throw new AuthenticationError(
        ReasonCode.DpopTokenUnbound,
        'the DPoP scheme needs a token bound to the proof key (cnf.jkt); this one is a bearer token',
      );
    }
    if (binding.kind === 'dpop') {
      await this.dpop!.check({
        proofs: credentials.dpop,
        method: credentials.method,
        target: credentials.target,
        accessToken: token,
        jkt: binding.jkt,
      });
    }
  }
}
