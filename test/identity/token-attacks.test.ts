import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AuthenticationError } from '../../src/errors';
import {
  createTokenVerifier,
  loadTrustedIssuers,
  RequestAuthenticator,
  type TokenVerifier,
} from '../../src/identity';
import {
  attackClaims,
  createAttackContext,
  tokenAttacks,
  validAttackToken,
  writeAttackIssuer,
  type AttackContext,
} from '../helpers/token-attacks';
import { signToken } from '../helpers/tokens';

let dir: string;
let ctx: AttackContext;
let verifier: TokenVerifier;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-attacks-'));
  ctx = createAttackContext();
  const issuers = loadTrustedIssuers([writeAttackIssuer(ctx, dir)], { baseDir: dir, env: {} });
  verifier = createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the whole path the server runs: header → bearer token → verified identity → its binding. */
async function authenticate(header: string | undefined) {
  const authenticator = new RequestAuthenticator(verifier, undefined, pino({ level: 'silent' }));
  return authenticator.authenticate({
    authorization: header,
    dpop: [],
    method: 'POST',
    target: '/v1/decide',
  });
}

test('the table holds at least 22 distinct attacks', () => {
  expect(tokenAttacks.length).toBeGreaterThanOrEqual(22);
  expect(new Set(tokenAttacks.map((attack) => attack.name)).size).toBe(tokenAttacks.length);
});

test('accepts a valid token of the attacked issuer (the precondition of every attack)', async () => {
  const identity = await authenticate(`Bearer ${validAttackToken(ctx)}`);
  expect(identity.subject.issuer).toBe(ctx.issuer);
});

describe.each(tokenAttacks.map((attack) => [attack.name, attack] as const))('refuses %s', (_name, attack) => {
  test(`with 401 ${attack.expectCode}`, async () => {
    const header = attack.make(ctx);
    const refusal = authenticate(header);
    await expect(refusal).rejects.toBeInstanceOf(AuthenticationError);
    await expect(refusal).rejects.toMatchObject({ code: attack.expectCode, status: 401 });
  });

  test('without echoing the token in the message', async () => {
    const header = attack.make(ctx);
    const error = (await authenticate(header).catch((e: unknown) => e)) as Error;
    const token = header?.replace(/^\S+\s*/, '') ?? '';
    expect(error).toBeInstanceOf(AuthenticationError);
    for (const segment of token.split('.').filter((s) => s.length >= 8)) {
      expect(error.message).not.toContain(segment);
    }
  });
});

test('accepts a token expired less than the clock skew ago', async () => {
  const now = ctx.nowSeconds();
  const exp = now - Math.floor(ctx.clockSkewSeconds / 2);
  // Precondition: the token really is past its exp.
  expect(exp).toBeLessThan(now);
  const identity = await authenticate(`Bearer ${validAttackToken(ctx, { iat: now - 600, exp })}`);
  expect(identity.expiresAt).toBe(exp);
});

test('accepts a token whose nbf and iat are in the future by less than the clock skew', async () => {
  const now = ctx.nowSeconds();
  const soon = now + Math.floor(ctx.clockSkewSeconds / 2);
  expect(soon).toBeGreaterThan(now);
  const identity = await authenticate(`Bearer ${validAttackToken(ctx, { nbf: soon, iat: soon })}`);
  expect(identity.subject.claims.nbf).toBe(soon);
});

test('accepts the bearer scheme in any case', async () => {
  const identity = await authenticate(`bEaReR ${validAttackToken(ctx)}`);
  expect(identity.subject.id).toBe(attackClaims(ctx).sub);
});

test('accepts RS384 from the same key, which the issuer lists', async () => {
  const token = signToken({
    header: { alg: 'RS384', kid: ctx.kid },
    claims: attackClaims(ctx),
    key: ctx.rsaPrivateKey,
  });
  await expect(authenticate(`Bearer ${token}`)).resolves.toMatchObject({ subject: { issuer: ctx.issuer } });
});
