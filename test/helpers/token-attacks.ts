/**
 * Forged and malformed bearer tokens, each with the reason code modelgate must answer. The identity unit
 * tests run the table against the verifier; the HTTP tests run the same table against a real server
 * (401 + WWW-Authenticate). Every case is refused; accepted edge cases (within skew, lowercase scheme)
 * live in their own tests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { ReasonCode } from '../../src/errors';
import type { IssuerConfig } from '../../src/schemas/issuer-config.schema';
import {
  base64url,
  buildJwks,
  generateEcKeyPair,
  generateRsaKeyPair,
  joinSegments,
  publicJwk,
  signToken,
  standardClaims,
} from './tokens';

/**
 * Everything the attack cases need. A plain object: build it with {@link createAttackContext}, or by hand.
 * The issuer under attack must be configured as {@link writeAttackIssuer} does: algorithms RS256 and RS384
 * only, its keys a JWKS holding `rsaPublicPem`'s key under `kid`, audience `audience`, skew `clockSkewSeconds`.
 */
export interface AttackContext {
  /** The `iss` the server trusts. */
  issuer: string;
  /** An audience that issuer accepts. */
  audience: string;
  /** The kid of the trusted RSA key in the issuer's JWKS. */
  kid: string;
  /** The trusted signing key: tokens it signs with RS256 are valid. */
  rsaPrivateKey: KeyObject;
  /** The trusted key's public half as SPKI PEM (the key-confusion attack uses it as an HMAC secret). */
  rsaPublicPem: string;
  /** An RSA key the issuer does NOT trust. */
  otherRsaPrivateKey: KeyObject;
  /** An EC P-256 key the issuer does NOT trust. */
  ecPrivateKey: KeyObject;
  /** The issuer's clock_skew_seconds. */
  clockSkewSeconds: number;
  /** The server's clock in unix seconds (`Date.now` based unless the verifier runs on a fake clock). */
  nowSeconds: () => number;
}

/** One forged or malformed token and the reason code it must be refused with. */
export interface TokenAttack {
  name: string;
  /** Returns the Authorization header value to send, or undefined to send no header at all. */
  make(ctx: AttackContext): string | undefined;
  expectCode: ReasonCode;
}

/** Returns a context with freshly generated keys (RSA generation takes a moment: build it once per file). */
export function createAttackContext(overrides: Partial<AttackContext> = {}): AttackContext {
  const trusted = generateRsaKeyPair();
  return {
    issuer: 'https://idp.attack-test.example',
    audience: 'modelgate',
    kid: 'trusted-rsa-1',
    rsaPrivateKey: trusted.privateKey,
    rsaPublicPem: trusted.publicPem,
    otherRsaPrivateKey: generateRsaKeyPair().privateKey,
    ecPrivateKey: generateEcKeyPair('P-256').privateKey,
    clockSkewSeconds: 30,
    nowSeconds: () => Math.floor(Date.now() / 1000),
    ...overrides,
  };
}

/** Writes `<dir>/attack-jwks.json` and returns the issuer config entry the attack table expects. */
export function writeAttackIssuer(ctx: AttackContext, dir: string): IssuerConfig {
  const jwksFile = join(dir, 'attack-jwks.json');
  const jwk = publicJwk(createPublicKey(ctx.rsaPublicPem), { kid: ctx.kid, use: 'sig' });
  writeFileSync(jwksFile, JSON.stringify(buildJwks(jwk)));
  return {
    issuer: ctx.issuer,
    audiences: [ctx.audience],
    algorithms: ['RS256', 'RS384'],
    clock_skew_seconds: ctx.clockSkewSeconds,
    jwks_file: jwksFile,
  };
}

/** Returns valid claims for the context's issuer; overrides win (set a claim to undefined to drop it). */
export function attackClaims(
  ctx: AttackContext,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const claims = standardClaims(
    { issuer: ctx.issuer, audience: ctx.audience, nowSeconds: ctx.nowSeconds() },
    overrides,
  );
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

/** Returns a valid RS256 token of the context's issuer: the precondition every attack departs from. */
export function validAttackToken(ctx: AttackContext, overrides: Record<string, unknown> = {}): string {
  return signToken({
    header: { alg: 'RS256', typ: 'JWT', kid: ctx.kid },
    claims: attackClaims(ctx, overrides),
    key: ctx.rsaPrivateKey,
  });
}

const bearer = (token: string) => `Bearer ${token}`;
const rs256 = (ctx: AttackContext, claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  bearer(
    signToken({
      header: { alg: 'RS256', typ: 'JWT', kid: ctx.kid, ...header },
      claims,
      key: ctx.rsaPrivateKey,
    }),
  );

/** The attack table: at least 22 cases, each refused with `expectCode`. */
export const tokenAttacks: readonly TokenAttack[] = [
  // --- the Authorization header itself
  { name: 'no Authorization header', make: () => undefined, expectCode: 'token_missing' },
  { name: 'an empty Authorization header', make: () => '', expectCode: 'token_missing' },
  {
    name: 'Basic instead of Bearer',
    make: () => 'Basic dXNlcjpwYXNzd29yZA==',
    expectCode: 'token_malformed',
  },
  { name: 'Bearer without a token', make: () => 'Bearer', expectCode: 'token_malformed' },
  {
    name: 'Bearer with two tokens',
    make: (ctx) => `${bearer(validAttackToken(ctx))} ${validAttackToken(ctx)}`,
    expectCode: 'token_malformed',
  },
  { name: 'a token without the scheme', make: (ctx) => validAttackToken(ctx), expectCode: 'token_malformed' },
  // --- the compact serialisation
  { name: 'garbage instead of a JWT', make: () => bearer('not-a-jwt'), expectCode: 'token_malformed' },
  {
    name: 'a two-segment token',
    make: (ctx) => bearer(validAttackToken(ctx).split('.').slice(0, 2).join('.')),
    expectCode: 'token_malformed',
  },
  {
    name: 'a four-segment token',
    make: (ctx) => bearer(`${validAttackToken(ctx)}.e30`),
    expectCode: 'token_malformed',
  },
  {
    name: 'a header that is not JSON',
    make: (ctx) =>
      bearer(`${base64url('{"alg":"RS256",')}.${validAttackToken(ctx).split('.').slice(1).join('.')}`),
    expectCode: 'token_malformed',
  },
  {
    name: 'a payload that is not JSON',
    make: (ctx) => bearer(joinSegments({ alg: 'RS256', kid: ctx.kid }, 'sub=admin', 'c2ln')),
    expectCode: 'token_malformed',
  },
  {
    name: 'a payload that is a JSON array',
    make: (ctx) => bearer(joinSegments({ alg: 'RS256', kid: ctx.kid }, [attackClaims(ctx)], 'c2ln')),
    expectCode: 'token_malformed',
  },
  // --- algorithm attacks
  {
    name: 'alg none, unsigned',
    make: (ctx) => bearer(signToken({ header: { alg: 'none', typ: 'JWT' }, claims: attackClaims(ctx) })),
    expectCode: 'algorithm_not_allowed',
  },
  {
    name: 'alg none, with an RS256 signature attached',
    make: (ctx) => {
      const signed = validAttackToken(ctx).split('.')[2];
      const unsigned = signToken({ header: { alg: 'none', kid: ctx.kid }, claims: attackClaims(ctx) });
      return bearer(`${unsigned}${signed}`);
    },
    expectCode: 'algorithm_not_allowed',
  },
  {
    name: 'alg NoNe (case variant)',
    make: (ctx) => bearer(signToken({ header: { alg: 'NoNe' }, claims: attackClaims(ctx) })),
    expectCode: 'algorithm_not_allowed',
  },
  {
    name: 'no alg header at all',
    make: (ctx) =>
      bearer(
        signToken({
          header: { kid: ctx.kid },
          claims: attackClaims(ctx),
          signAs: 'RS256',
          key: ctx.rsaPrivateKey,
        }),
      ),
    expectCode: 'algorithm_not_allowed',
  },
  {
    name: 'HS256 signed with the RSA public key PEM (key confusion)',
    make: (ctx) =>
      bearer(
        signToken({
          header: { alg: 'HS256', kid: ctx.kid },
          claims: attackClaims(ctx),
          key: ctx.rsaPublicPem,
        }),
      ),
    expectCode: 'algorithm_not_allowed',
  },
  {
    name: 'ES256 token against an RS-only issuer',
    make: (ctx) =>
      bearer(
        signToken({
          header: { alg: 'ES256', kid: ctx.kid },
          claims: attackClaims(ctx),
          key: ctx.ecPrivateKey,
        }),
      ),
    expectCode: 'algorithm_not_allowed',
  },
  {
    name: 'PS256 (not in the issuer list) signed with the trusted key',
    make: (ctx) =>
      bearer(
        signToken({
          header: { alg: 'PS256', kid: ctx.kid },
          claims: attackClaims(ctx),
          key: ctx.rsaPrivateKey,
        }),
      ),
    expectCode: 'algorithm_not_allowed',
  },
  // --- signature attacks
  {
    name: 'RS256 signed with another RSA key under the trusted kid',
    make: (ctx) =>
      bearer(
        signToken({
          header: { alg: 'RS256', kid: ctx.kid },
          claims: attackClaims(ctx),
          key: ctx.otherRsaPrivateKey,
        }),
      ),
    expectCode: 'signature_invalid',
  },
  {
    name: 'a tampered payload (sub changed after signing)',
    make: (ctx) => {
      const [header, , sig] = validAttackToken(ctx).split('.');
      return bearer(`${header}.${base64url(attackClaims(ctx, { sub: 'admin' }))}.${sig}`);
    },
    expectCode: 'signature_invalid',
  },
  {
    name: 'the signature stripped from an RS256 token',
    make: (ctx) => bearer(validAttackToken(ctx).replace(/\.[^.]+$/, '.')),
    expectCode: 'signature_invalid',
  },
  {
    name: 'an attacker key embedded in the header (jwk)',
    make: (ctx) => {
      const jwk = publicJwk(createPublicKey(ctx.otherRsaPrivateKey));
      return bearer(
        signToken({
          header: { alg: 'RS256', kid: ctx.kid, jwk },
          claims: attackClaims(ctx),
          key: ctx.otherRsaPrivateKey,
        }),
      );
    },
    expectCode: 'signature_invalid',
  },
  {
    name: 'an attacker key set URL in the header (jku)',
    make: (ctx) =>
      bearer(
        signToken({
          header: { alg: 'RS256', kid: ctx.kid, jku: 'https://attacker.example/jwks.json' },
          claims: attackClaims(ctx),
          key: ctx.otherRsaPrivateKey,
        }),
      ),
    expectCode: 'signature_invalid',
  },
  // --- keys
  {
    name: 'an unknown kid',
    make: (ctx) => rs256(ctx, attackClaims(ctx), { kid: 'no-such-key' }),
    expectCode: 'key_unknown',
  },
  {
    name: 'a path-traversal kid',
    make: (ctx) => rs256(ctx, attackClaims(ctx), { kid: '../../../../dev/null' }),
    expectCode: 'key_unknown',
  },
  {
    name: 'a non-string kid',
    make: (ctx) => rs256(ctx, attackClaims(ctx), { kid: 1 }),
    expectCode: 'token_malformed',
  },
  {
    name: 'a critical header parameter modelgate does not understand',
    make: (ctx) => rs256(ctx, attackClaims(ctx), { crit: ['b64'], b64: false }),
    expectCode: 'token_malformed',
  },
  // --- time
  {
    name: 'expired beyond the clock skew',
    make: (ctx) => {
      const now = ctx.nowSeconds();
      return rs256(ctx, attackClaims(ctx, { iat: now - 7200, exp: now - ctx.clockSkewSeconds - 60 }));
    },
    expectCode: 'token_expired',
  },
  {
    name: 'nbf in the future beyond the clock skew',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { nbf: ctx.nowSeconds() + ctx.clockSkewSeconds + 120 })),
    expectCode: 'token_not_yet_valid',
  },
  {
    name: 'iat far in the future',
    make: (ctx) => {
      const now = ctx.nowSeconds();
      return rs256(ctx, attackClaims(ctx, { iat: now + 3600, exp: now + 7200 }));
    },
    expectCode: 'token_not_yet_valid',
  },
  {
    name: 'exp missing',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { exp: undefined })),
    expectCode: 'token_malformed',
  },
  {
    name: 'exp as a string',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { exp: String(ctx.nowSeconds() + 3600) })),
    expectCode: 'token_malformed',
  },
  // --- claims
  {
    name: 'a wrong audience',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { aud: 'some-other-service' })),
    expectCode: 'audience_invalid',
  },
  {
    name: 'no audience',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { aud: undefined })),
    expectCode: 'audience_invalid',
  },
  {
    name: 'a wrong (untrusted) issuer',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { iss: 'https://evil.example' })),
    expectCode: 'issuer_unknown',
  },
  {
    name: 'no issuer',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { iss: undefined })),
    expectCode: 'issuer_unknown',
  },
  {
    name: 'sub missing',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { sub: undefined })),
    expectCode: 'subject_missing',
  },
  {
    name: 'sub empty',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { sub: '' })),
    expectCode: 'subject_missing',
  },
  {
    name: 'sub not a string',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { sub: 42 })),
    expectCode: 'subject_missing',
  },
  {
    name: 'act that is not an object',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { act: 'agent:triage' })),
    expectCode: 'token_malformed',
  },
  {
    // A signed "\ud800" escape: JSON.parse would keep it (and the policy's WASM parser then refuse every input that
    // holds it); the strict decoder refuses it here, as it does in request bodies.
    name: 'a claim holding an unpaired UTF-16 surrogate',
    make: (ctx) => rs256(ctx, attackClaims(ctx, { groups: ['support', 'ops \ud800'] })),
    expectCode: 'token_malformed',
  },
];
