import type { KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';
import type { RequiredClaims } from './required-claims';

/** One key a token may be verified with; `kid` and `alg` come from the JWK when it names them. */
export interface VerificationKey {
  key: KeyObject;
  kid?: string;
  /** When the JWK pins an algorithm, the key verifies only that one. */
  alg?: string;
}

/** Keys fetched over the network: from a JWKS URL, or from the jwks_uri of a discovery document at `url`. */
export type RemoteIssuerKeys = { kind: 'jwks_url'; url: string } | { kind: 'discovery_url'; url: string };

/** Where keys known at start-up were read from: a configuration key, or the development issuer's own file. */
export type StaticKeyOrigin = 'public_key_file' | 'jwks_file' | 'secret_env' | 'development';

/** Where an issuer's keys come from once the configuration has been loaded. */
export type IssuerKeys =
  /** `matchKid`: a JWKS file chooses by kid; a PEM key or a secret is the only key and ignores it. */
  { kind: 'static'; origin: StaticKeyOrigin; keys: VerificationKey[]; matchKid: boolean } | RemoteIssuerKeys;

/** A trusted issuer after validation and key loading: what the verifier works with. */
export interface TrustedIssuer {
  /** The exact `iss`, or with `tenants` a template holding `{tenantid}` (see issuer-template.ts). */
  issuer: string;
  /** The Entra ID tenants a template accepts, each standing for `{tenantid}`; absent for an exact issuer. */
  tenants?: string[];
  audiences: string[];
  /** `typ` header values accepted, normalised by tokenType; when set, a token must carry one. */
  tokenTypes?: string[];
  /** The claim that must name one of `audiences`; default `aud`. */
  audienceClaim?: string;
  algorithms: JwtAlgorithm[];
  clockSkewSeconds: number;
  /** Longest exp - iat a token may have; default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS. */
  maxTokenLifetimeSeconds?: number;
  /** Claims the audit record keeps verbatim, the others are hashed there; default DEFAULT_RECORDED_CLAIMS. */
  recordedClaims?: string[];
  /** Scopes its tokens may grant, exactly or by a prefix ending in `*`; absent: every scope. */
  allowedScopes?: string[];
  /** Claims that name scopes (a space-separated string or an array); default DEFAULT_SCOPE_CLAIMS. */
  scopeClaims?: string[];
  /** Claims a token must carry with one of the listed values; absent: none. */
  requiredClaims?: RequiredClaims;
  keys: IssuerKeys;
  /** Where this entry came from, for logs: e.g. `issuers[2]` or `dev-issuer`. */
  source: string;
}

/** The longest token lifetime an issuer accepts unless configured: a day. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** Where scopes come from unless an issuer says otherwise: RFC 8693 `scope`, and `scp` (Okta, Entra ID). */
export const DEFAULT_SCOPE_CLAIMS: readonly string[] = ['scope', 'scp'];
