import type { Logger } from 'pino';
import { AuthenticationError, ModelgateError, ReasonCode } from '../errors';
import { isJwtAlgorithm } from './algorithms';
import { decodeUnverified } from './decode-token';
import type { KeySource } from './key-source';
import { checkTenant, expandIssuer } from './issuer-template';
import { audienceRefusal, quoteClaim } from './claim-text';
import { mapJwtError } from './map-jwt-error';
import { checkRequiredClaims } from './required-claims';
import { checkTrustDomain, trustDomainOf } from './spiffe-trust-domain';
import { checkTokenType } from './token-type';
import { verifyJwt } from './verify-jwt';
import type { VerifiedTokenCache } from './token-cache';
import type { TokenVerifier } from './token-verifier';
import { DEFAULT_RECORDED_CLAIMS } from '../schemas/issuer-config.schema';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, type TrustedIssuer } from './trusted-issuer';
import {
  audienceValues,
  buildVerifiedIdentity,
  signedPartSha256,
  tokenSha256,
  type VerifiedIdentity,
} from './verified-identity';

/** A trusted issuer with the key source that serves it. */
export interface IssuerBinding {
  issuer: TrustedIssuer;
  keys: KeySource;
}

/** The binding a token's `iss` selects, and for a template the tenant its `iss` names. */
interface IssuerMatch {
  binding: IssuerBinding;
  tenant?: string;
}

/** What the JWT verifier is built from; {@link createTokenVerifier} assembles it. */
export interface JwtTokenVerifierParts {
  issuers: IssuerBinding[];
  cache: VerifiedTokenCache;
  now: () => number;
  logger: Logger;
}

/** Verifies compact JWS bearer tokens against the configured issuers (with jsonwebtoken where it can: verify-jwt.ts). */
export class JwtTokenVerifier implements TokenVerifier {
  private readonly byIssuer: Map<string, IssuerMatch>;

  constructor(private readonly parts: JwtTokenVerifierParts) {
    this.byIssuer = issuerIndex(parts.issuers);
  }

  /** Returns the identity a token proves, or throws AuthenticationError / UnavailableError. */
  async verify(token: string): Promise<VerifiedIdentity> {
    if (typeof token !== 'string' || token === '') {
      throw new AuthenticationError(ReasonCode.TokenMissing, 'a bearer token is required');
    }
    const hash = tokenSha256(token);
    const cached = this.parts.cache.get(hash);
    if (cached) return cached;
    try {
      const identity = await this.verifyUncached(token);
      this.parts.cache.set(hash, identity);
      return identity;
    } catch (error) {
      if (error instanceof ModelgateError) {
        // The id the audit record would carry, so a log line and a record can be matched.
        this.parts.logger.debug(
          { code: error.code, tokenId: `sha256:${signedPartSha256(token)}` },
          'token refused',
        );
      }
      throw error;
    }
  }

  private async verifyUncached(token: string): Promise<VerifiedIdentity> {
    // Header and payload are attacker-controlled until the signature checks out: they only pick the rules.
    const { header, payload } = decodeUnverified(token);
    const iss = issuerOf(payload);
    const match = iss === undefined ? undefined : this.byIssuer.get(iss);
    if (!match) throw new AuthenticationError(ReasonCode.IssuerUnknown, untrustedIssuerMessage(payload.iss));
    const { binding, tenant } = match;
    const { issuer } = binding;
    // The allowlist is what stops `none` and HS256-signed-with-the-public-key (key confusion).
    const alg = header.alg;
    if (!isJwtAlgorithm(alg) || !issuer.algorithms.includes(alg)) {
      throw new AuthenticationError(
        ReasonCode.AlgorithmNotAllowed,
        'token algorithm is not allowed for this issuer',
      );
    }
    if (header.crit !== undefined) {
      throw new AuthenticationError(ReasonCode.TokenMalformed, 'token has critical header parameters (crit)');
    }
    checkTokenType(header.typ, issuer.tokenTypes);
    if (header.kid !== undefined && typeof header.kid !== 'string') {
      throw new AuthenticationError(ReasonCode.TokenMalformed, 'token kid header must be a string');
    }
    const key = await binding.keys.keyFor({ alg, kid: header.kid });
    const nowSeconds = Math.floor(this.parts.now() / 1000);
    let verified: unknown;
    try {
      verified = verifyJwt(token, key, {
        algorithm: alg,
        // The issuer the token was matched by: the entry's own, or its template with the tenant in place. A
        // JWT-SVID without iss was matched by its trust domain, which the signature then vouches for.
        ...(payload.iss !== undefined && { issuer: iss as string }),
        // Non-empty by the issuer schema (minItems 1); another audience claim is checked below.
        ...(byAud(issuer) && { audience: issuer.audiences }),
        clockTolerance: issuer.clockSkewSeconds,
        clockTimestamp: nowSeconds,
      });
    } catch (error) {
      throw mapJwtError(error, payload);
    }
    if (typeof verified !== 'object' || verified === null) {
      throw new AuthenticationError(ReasonCode.TokenMalformed, 'token payload is not a JSON object');
    }
    const claims = verified as Record<string, unknown>;
    checkTimes(claims, nowSeconds, issuer);
    checkTenant(claims, tenant);
    checkTrustDomain(claims, issuer.issuer);
    if (!byAud(issuer)) checkOtherAudienceClaim(claims, issuer);
    checkRequiredClaims(claims, issuer.requiredClaims);
    return buildVerifiedIdentity(claims, signedPartSha256(token), {
      issuer: iss as string,
      recordedClaims: issuer.recordedClaims ?? DEFAULT_RECORDED_CLAIMS,
      allowedScopes: issuer.allowedScopes,
      scopeClaims: issuer.scopeClaims,
      audienceClaim: issuer.audienceClaim,
    });
  }
}

// One lookup per token, however many tenants: a template is expanded once here, for each tenant it lists. An
// exact entry is set last, so that it decides its tenant's tokens rather than the template (the more specific
// configuration wins); two templates that meet are refused when the configuration loads.
function issuerIndex(bindings: readonly IssuerBinding[]): Map<string, IssuerMatch> {
  const index = new Map<string, IssuerMatch>();
  for (const binding of bindings) {
    for (const tenant of binding.issuer.tenants ?? []) {
      index.set(expandIssuer(binding.issuer.issuer, tenant), { binding, tenant });
    }
  }
  for (const binding of bindings) {
    if (binding.issuer.tenants === undefined) index.set(binding.issuer.issuer, { binding });
  }
  return index;
}

// SPIFFE JWT-SVIDs may omit iss (SPIRE does unless `jwt_issuer` is set): their trust domain, the authority of
// the sub, names the issuer entry (`issuer: spiffe://<trust domain>`) whose bundle keys must then verify them.
// Only a token with no iss at all is chosen this way, so no entry ever takes in a token of another issuer.
function issuerOf(payload: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof payload.iss === 'string') return payload.iss;
  return payload.iss === undefined ? trustDomainOf(payload.sub) : undefined;
}

// The iss is the caller's own, named so that a near miss (a trailing slash, http for https) is plain to see;
// the trusted issuers are the operator's and are never listed.
function untrustedIssuerMessage(iss: unknown): string {
  if (iss === undefined) return 'token has no iss claim, and its sub names no trusted SPIFFE trust domain';
  return `token issuer ${quoteClaim(iss)} is not trusted`;
}

function byAud(issuer: TrustedIssuer): boolean {
  return (issuer.audienceClaim ?? 'aud') === 'aud';
}

// Some issuers name the audience elsewhere (Cognito access tokens carry client_id and no aud). That claim must
// name an accepted audience; an aud the token has anyway must too, so a token addressed to another service
// never passes on the strength of a second claim.
function checkOtherAudienceClaim(claims: Record<string, unknown>, issuer: TrustedIssuer): void {
  const claim = issuer.audienceClaim ?? 'aud';
  const named = (name: string) => audienceValues(claims, name).some((a) => issuer.audiences.includes(a));
  const refused = !named(claim) ? claim : Object.hasOwn(claims, 'aud') && !named('aud') ? 'aud' : undefined;
  if (refused !== undefined) {
    const value = Object.hasOwn(claims, refused) ? claims[refused] : undefined;
    throw new AuthenticationError(ReasonCode.AudienceInvalid, audienceRefusal(refused, value));
  }
}

// jsonwebtoken checks exp only when present and ignores iat; a bearer token without an end is refused,
// and so is one that lives longer than the issuer allows: a leaked year-long token is a standing key.
function checkTimes(claims: Record<string, unknown>, nowSeconds: number, issuer: TrustedIssuer): void {
  const skewSeconds = issuer.clockSkewSeconds;
  if (claims.exp === undefined) {
    throw new AuthenticationError(ReasonCode.TokenMalformed, 'exp claim required');
  }
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new AuthenticationError(ReasonCode.TokenMalformed, 'token exp claim must be a finite number');
  }
  if (claims.iat !== undefined) {
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) {
      throw new AuthenticationError(ReasonCode.TokenMalformed, 'token iat claim must be a finite number');
    }
    if (claims.iat > nowSeconds + skewSeconds) {
      throw new AuthenticationError(ReasonCode.TokenNotYetValid, 'token was issued in the future (iat)');
    }
  }
  const maxLifetime = issuer.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const from = typeof claims.iat === 'number' ? claims.iat : nowSeconds;
  if (claims.exp - from > maxLifetime + skewSeconds) {
    throw new AuthenticationError(
      ReasonCode.TokenLifetimeTooLong,
      `token lives longer than the ${maxLifetime} s this issuer allows (exp - ${claims.iat === undefined ? 'now' : 'iat'})`,
    );
  }
}
