import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { ConfigError } from '../../src/errors';
import { createTokenVerifier, ensureDevIssuer, mintDevToken } from '../../src/identity';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'modelgate-dev-'));
});

afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

test('generates an ES256 key pair on first call, private key mode 0600', () => {
  const dev = ensureDevIssuer(dataDir);
  expect(dev.created).toBe(true);
  expect(dev).toMatchObject({ issuer: 'modelgate-dev', audiences: ['modelgate'], algorithms: ['ES256'] });
  expect(dev.privateKeyFile).toBe(join(dataDir, 'dev-issuer', 'private.pem'));
  if (process.platform !== 'win32') {
    expect(statSync(dev.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'dev-issuer')).mode & 0o077).toBe(0);
  }
  expect(readFileSync(dev.publicKeyFile, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
});

test('reuses the same key pair afterwards', () => {
  const first = ensureDevIssuer(dataDir);
  const pem = readFileSync(first.privateKeyFile, 'utf8');
  const second = ensureDevIssuer(dataDir);
  expect(second.created).toBe(false);
  expect(second.kid).toBe(first.kid);
  expect(readFileSync(second.privateKeyFile, 'utf8')).toBe(pem);
});

test('mints a token the development issuer verifies, with scopes, actor, jti and exp = now + ttl', async () => {
  const now = Date.now();
  const token = mintDevToken(dataDir, {
    sub: 'user:alice',
    scopes: ['invoke:chat', 'audit:read'],
    act: 'agent:triage',
    ttlSeconds: 600,
    now,
  });
  const verifier = createTokenVerifier([ensureDevIssuer(dataDir)], { logger: pino({ level: 'silent' }) });
  const identity = await verifier.verify(token);
  expect(identity.subject).toMatchObject({
    id: 'user:alice',
    issuer: 'modelgate-dev',
    audience: ['modelgate'],
    scopes: ['invoke:chat', 'audit:read'],
    actor: { sub: 'agent:triage' },
  });
  expect(identity.expiresAt).toBe(Math.floor(now / 1000) + 600);
  const header = jwt.decode(token, { complete: true })?.header;
  expect(header).toMatchObject({ alg: 'ES256', kid: ensureDevIssuer(dataDir).kid });
  expect(identity.tokenId).toMatch(/^[0-9a-f-]{36}$/);
});

// The commonest first-run refusal: a token minted in one folder sent to a modelgate started in another. Its kid
// names the other folder's key, which says more than a signature that does not verify.
test("refuses another data directory's token as key_unknown", async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'modelgate-dev-'));
  try {
    const token = mintDevToken(elsewhere, { sub: 'user:alice', scopes: [] });
    const verifier = createTokenVerifier([ensureDevIssuer(dataDir)], { logger: pino({ level: 'silent' }) });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'key_unknown' });
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('defaults to a one hour lifetime and a fresh jti per token', () => {
  const now = Date.now();
  const a = jwt.decode(mintDevToken(dataDir, { sub: 'x', now })) as jwt.JwtPayload;
  const b = jwt.decode(mintDevToken(dataDir, { sub: 'x', now })) as jwt.JwtPayload;
  expect(a.exp).toBe(Math.floor(now / 1000) + 3600);
  expect(a.jti).not.toBe(b.jti);
});

test('keeps iss, sub, aud and exp its own even when extra claims name them', () => {
  const claims = { iss: 'https://evil.example', exp: 1, team: 'payments' };
  const payload = jwt.decode(mintDevToken(dataDir, { sub: 'x', claims })) as jwt.JwtPayload;
  expect(payload).toMatchObject({ iss: 'modelgate-dev', team: 'payments' });
  expect(payload.exp).toBeGreaterThan(Date.now() / 1000);
});

test('refuses a private key that other users can read', () => {
  const dev = ensureDevIssuer(dataDir);
  if (process.platform === 'win32') return;
  chmodSync(dev.privateKeyFile, 0o644);
  expect(() => ensureDevIssuer(dataDir)).toThrow(ConfigError);
  expect(() => ensureDevIssuer(dataDir)).toThrow(/chmod 600/);
});

test('refuses a lifetime beyond seven days', () => {
  expect(() => mintDevToken(dataDir, { sub: 'x', ttlSeconds: 8 * 86_400 })).toThrow(RangeError);
});
