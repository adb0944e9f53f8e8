import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../src/identity';
import {
  generateEcKeyPair,
  generateHsSecret,
  generateRsaKeyPair,
  signToken,
  standardClaims,
} from '../helpers/tokens';

const rsa = generateRsaKeyPair();
const ec = generateEcKeyPair('P-384');
const secret = generateHsSecret(48);
const issuers = { rsa: 'https://rsa.example', ec: 'https://ec.example', hs: 'ci-hs' };
let dir: string;
let verifier: TokenVerifier;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-identity-'));
  writeFileSync(join(dir, 'rsa.pem'), rsa.publicPem);
  writeFileSync(join(dir, 'ec.pem'), ec.publicPem);
  const trusted = loadTrustedIssuers(
    [
      {
        issuer: issuers.rsa,
        audiences: ['modelgate', 'other'],
        algorithms: ['RS256', 'PS256'],
        public_key_file: 'rsa.pem',
      },
      { issuer: issuers.ec, audiences: ['modelgate'], algorithms: ['ES384'], public_key_file: 'ec.pem' },
      { issuer: issuers.hs, audiences: ['modelgate'], algorithms: ['HS384'], secret_env: 'HS_SECRET' },
    ],
    { baseDir: dir, env: { HS_SECRET: secret } },
  );
  verifier = createTokenVerifier(trusted, { logger: pino({ level: 'silent' }) });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const claims = (iss: string, extra: Record<string, unknown> = {}) =>
  standardClaims({ issuer: iss, audience: 'modelgate' }, extra);

test('returns the subject the policy sees: id, issuer, audience, scopes, claims, actor', async () => {
  const body = claims(issuers.rsa, {
    sub: 'spiffe://corp/ci/build-bot',
    aud: ['modelgate', 'billing'],
    scope: 'invoke:codegen  invoke:chat',
    act: { sub: 'agent:triage', act: { sub: 'model:claude' } },
    repo: 'corp/payments',
  });
  const identity = await verifier.verify(
    signToken({ header: { alg: 'RS256' }, claims: body, key: rsa.privateKey }),
  );
  expect(identity).toEqual({
    subject: {
      id: 'spiffe://corp/ci/build-bot',
      issuer: issuers.rsa,
      audience: ['modelgate', 'billing'],
      scopes: ['invoke:codegen', 'invoke:chat'],
      claims: body,
      actor: { sub: 'agent:triage', act: { sub: 'model:claude' } },
    },
    tokenId: body.jti,
    expiresAt: body.exp,
    recordedClaims: [
      'iss',
      'sub',
      'aud',
      'scope',
      'scp',
      'roles',
      'permissions',
      'act',
      'jti',
      'exp',
      'iat',
      'nbf',
      'environment',
      'repository',
    ],
    binding: { kind: 'bearer' },
  });
});

test('takes scopes from an scp array and a null actor when there is no act claim', async () => {
  const token = signToken({
    header: { alg: 'PS256' },
    claims: claims(issuers.rsa, { scp: ['a', 'b'] }),
    key: rsa.privateKey,
  });
  const identity = await verifier.verify(token);
  expect(identity.subject.scopes).toEqual(['a', 'b']);
  expect(identity.subject.actor).toBeNull();
  expect(identity.subject.audience).toEqual(['modelgate']);
});

test('uses sha256 of the token as tokenId when there is no jti, never the token', async () => {
  const token = signToken({
    header: { alg: 'ES384' },
    claims: claims(issuers.ec, { jti: undefined }),
    key: ec.privateKey,
  });
  // Precondition: the token really carries no jti.
  expect(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())).not.toHaveProperty(
    'jti',
  );
  const identity = await verifier.verify(token);
  // Of the signed part: the signature's other valid spellings name the same token (next test).
  const signed = token.slice(0, token.lastIndexOf('.'));
  expect(identity.tokenId).toBe(`sha256:${createHash('sha256').update(signed).digest('hex')}`);
  expect(JSON.stringify(identity)).not.toContain(token.split('.')[2]);
});

test('gives one tokenId to one signed token, whichever valid ECDSA signature it carries', async () => {
  const token = signToken({
    header: { alg: 'ES384' },
    claims: claims(issuers.ec, { jti: undefined }),
    key: ec.privateKey,
  });
  // ECDSA signatures are malleable: (r, n - s) verifies as well as (r, s).
  const n = BigInt(
    '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  );
  const [head, body, sig] = token.split('.') as [string, string, string];
  const raw = Buffer.from(sig, 'base64url');
  const s = BigInt(`0x${raw.subarray(48).toString('hex')}`);
  const flipped = Buffer.concat([
    raw.subarray(0, 48),
    Buffer.from((n - s).toString(16).padStart(96, '0'), 'hex'),
  ]);
  const twin = `${head}.${body}.${flipped.toString('base64url')}`;
  const [one, other] = [await verifier.verify(token), await verifier.verify(twin)];
  expect(twin).not.toBe(token);
  expect(other.tokenId).toBe(one.tokenId);
});

test('verifies HS384 tokens of a secret_env issuer and refuses a wrong secret', async () => {
  const good = signToken({ header: { alg: 'HS384' }, claims: claims(issuers.hs), key: secret });
  await expect(verifier.verify(good)).resolves.toMatchObject({ subject: { issuer: issuers.hs } });
  const bad = signToken({ header: { alg: 'HS384' }, claims: claims(issuers.hs), key: generateHsSecret(48) });
  await expect(verifier.verify(bad)).rejects.toMatchObject({ code: 'signature_invalid' });
});

test('refuses an RS256 token for the HS issuer and an HS384 token for the RSA issuer', async () => {
  const rsForHs = signToken({ header: { alg: 'RS256' }, claims: claims(issuers.hs), key: rsa.privateKey });
  await expect(verifier.verify(rsForHs)).rejects.toMatchObject({ code: 'algorithm_not_allowed' });
  const hsForRsa = signToken({ header: { alg: 'HS384' }, claims: claims(issuers.rsa), key: secret });
  await expect(verifier.verify(hsForRsa)).rejects.toMatchObject({ code: 'algorithm_not_allowed' });
});

test('returns a frozen identity, so that a cached one cannot be changed by a caller', async () => {
  const identity = await verifier.verify(
    signToken({ header: { alg: 'RS256' }, claims: claims(issuers.rsa), key: rsa.privateKey }),
  );
  expect(Object.isFrozen(identity.subject.claims)).toBe(true);
  expect(() => {
    (identity.subject.scopes as string[]).push('admin');
  }).toThrow(TypeError);
});
