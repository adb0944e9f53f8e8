// The identity module's public surface: the composition root and the decision pipeline import from here.
export {
  createTokenVerifier,
  type StartableTokenVerifier,
  type TokenVerifierOptions,
} from './create-token-verifier';
export {
  ensureDevIssuer,
  mintDevToken,
  DEV_AUDIENCE,
  DEV_ISSUER,
  type DevIssuer,
  type DevTokenOptions,
} from './dev-issuer';
export { loadTrustedIssuers, type LoadIssuersOptions } from './issuer-config';
export { trustsIssuer } from './issuer-template';
export { issuerKeysWarning } from './issuer-keys-status';
export { JwtTokenVerifier } from './jwt-token-verifier';
export { authenticationChallenge, type ChallengeContext } from './authentication-challenge';
export {
  RequestAuthenticator,
  type CallerAuthenticator,
  type PresentedCredentials,
} from './caller-authenticator';
export { DpopChecker, type DpopSettings } from './dpop-checker';
export type { SharedReplayCache } from './shared-replay-cache';
export { parseAuthorization, schemeOf, type AuthScheme } from './parse-authorization';
export type { JwksFetch } from './capped-json-fetch';
export type { IssuerKeyFetches, KeyDocument, KeyFetchOutcome } from './key-fetch-stats';
export type { JwksClientLimits } from './remote-jwks-key-source';
export type { TokenCacheLimits } from './token-cache';
export type { TokenBinding } from './token-binding';
export type { TokenVerifier } from './token-verifier';
export type { TrustedIssuer } from './trusted-issuer';
export type { VerifiedIdentity, VerifiedSubject } from './verified-identity';
