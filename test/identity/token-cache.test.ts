import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../src/identity';
import { generateEcKeyPair, signToken, standardClaims } from '../helpers/tokens';

const ec = generateEcKeyPair('P-256');
const issuer = 'https://cache.example';
let dir: string;
let clock: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-cache-'));
  writeFileSync(join(dir, 'ec.pem'), ec.publicPem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => {
  clock = Date.UTC(2026, 10, 22, 10, 0, 0);
});

function verifierWith(cache: { maxEntries?: number; ttlMs?: number } = {}, skew = 0): TokenVerifier {
  const issuers = loadTrustedIssuers(
    [
      {
        issuer,
        audiences: ['modelgate'],
        algorithms: ['ES256'],
        public_key_file: 'ec.pem',
        clock_skew_seconds: skew,
      },
    ],
    { baseDir: dir },
  );
  return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }), now: () => clock, cache });
}

const seconds = () => Math.floor(clock / 1000);
const token = (extra: Record<string, unknown> = {}) =>
  signToken({
    header: { alg: 'ES256' },
    claims: standardClaims({ issuer, audience: 'modelgate', nowSeconds: seconds() }, extra),
    key: ec.privateKey,
  });

test('serves a repeated token from the cache', async () => {
  const verifier = verifierWith();
  const t = token();
  const first = await verifier.verify(t);
  await expect(verifier.verify(t)).resolves.toBe(first);
});

test('never serves a cached token past its exp', async () => {
  const verifier = verifierWith({ ttlMs: 3_600_000 });
  const t = token({ exp: seconds() + 10 });
  const first = await verifier.verify(t);
  clock += 9_000;
  // Precondition: before exp the cache answers (same frozen object).
  await expect(verifier.verify(t)).resolves.toBe(first);
  clock += 2_000;
  await expect(verifier.verify(t)).rejects.toMatchObject({ code: 'token_expired' });
});

test('does not cache a token accepted only thanks to the clock skew', async () => {
  const verifier = verifierWith({}, 30);
  const t = token({ iat: seconds() - 600, exp: seconds() - 5 });
  const first = await verifier.verify(t);
  const second = await verifier.verify(t);
  // Both verified afresh: equal identities, but not the same cached object.
  expect(second).toEqual(first);
  expect(second).not.toBe(first);
});

test('re-verifies a token once the cache TTL has passed', async () => {
  const verifier = verifierWith({ ttlMs: 60_000 });
  const t = token();
  const first = await verifier.verify(t);
  clock += 59_000;
  await expect(verifier.verify(t)).resolves.toBe(first);
  clock += 2_000;
  const again = await verifier.verify(t);
  expect(again).toEqual(first);
  expect(again).not.toBe(first);
});

test('keeps at most maxEntries tokens, dropping the least recently used', async () => {
  const verifier = verifierWith({ maxEntries: 2 });
  const [a, b, c] = [token({ sub: 'a' }), token({ sub: 'b' }), token({ sub: 'c' })] as [
    string,
    string,
    string,
  ];
  const identityA = await verifier.verify(a);
  const identityB = await verifier.verify(b);
  await expect(verifier.verify(a)).resolves.toBe(identityA);
  await verifier.verify(c);
  await expect(verifier.verify(a)).resolves.toBe(identityA);
  const freshB = await verifier.verify(b);
  expect(freshB).not.toBe(identityB);
});

test('does not cache a refusal: a token refused for nbf is accepted once nbf has passed', async () => {
  const verifier = verifierWith();
  const t = token({ nbf: seconds() + 60 });
  await expect(verifier.verify(t)).rejects.toMatchObject({ code: 'token_not_yet_valid' });
  clock += 61_000;
  await expect(verifier.verify(t)).resolves.toMatchObject({ subject: { issuer } });
});
