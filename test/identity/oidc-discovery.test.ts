/**
 * discovery_url: the jwks_uri comes from the issuer's OpenID Provider Configuration (or RFC 8414 metadata)
 * document, checked against the configured issuer, then behaves as jwks_url does. Real HTTP servers on 127.0.0.1.
 */
import pino from 'pino';
import {
  createTokenVerifier,
  loadTrustedIssuers,
  type JwksClientLimits,
  type JwksFetch,
  type StartableTokenVerifier,
} from '../../src/identity';
import { startDocumentServer, type DocumentServer } from '../helpers/document-server';
import {
  buildJwks,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  type TestKeyPair,
} from '../helpers/tokens';

const issuer = 'https://sso.corp.example/realms/corp';
const audience = 'modelgate';
const first = generateRsaKeyPair();
const second = generateRsaKeyPair();

let server: DocumentServer;
let clock: number;
let logs: { level: number; msg: string; err?: { message: string } }[];
let discoveryUrl: string;
let jwksUri: string;

function metadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
    token_endpoint: `${issuer}/protocol/openid-connect/token`,
    jwks_uri: jwksUri,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...overrides,
  };
}

function newVerifier(
  options: { url?: string; fetch?: JwksFetch; limits?: Partial<JwksClientLimits> } = {},
): StartableTokenVerifier {
  const issuers = loadTrustedIssuers(
    [{ issuer, audiences: [audience], algorithms: ['RS256'], discovery_url: options.url ?? discoveryUrl }],
    { baseDir: __dirname },
  );
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  return createTokenVerifier(issuers, {
    logger,
    now: () => clock,
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.limits && { jwks: options.limits }),
  });
}

function token(pair: TestKeyPair, kid: string, sub = 'svc:discovered'): string {
  const claims = standardClaims({ issuer, audience, nowSeconds: Math.floor(clock / 1000) }, { sub });
  return signToken({ header: { alg: 'RS256', kid }, claims, key: pair.privateKey });
}

const warnings = () => logs.filter((line) => line.level === 40).map((line) => line.msg);

beforeEach(async () => {
  server = await startDocumentServer();
  discoveryUrl = `${server.origin}/realms/corp/.well-known/openid-configuration`;
  jwksUri = `${server.origin}/realms/corp/protocol/openid-connect/certs`;
  server.serve(discoveryUrl, { json: metadata() });
  server.serve(jwksUri, { json: buildJwks(publicJwk(first.publicKey, { kid: 'k1', use: 'sig' })) });
  clock = Date.now();
  logs = [];
});

afterEach(() => server.close());

test('reads the discovery document on first use, then verifies with the keys at its jwks_uri', async () => {
  const verifier = newVerifier();
  expect(server.hits(discoveryUrl)).toBe(0);
  await expect(verifier.verify(token(first, 'k1', 'a'))).resolves.toMatchObject({
    subject: { id: 'a', issuer },
  });
  await verifier.verify(token(first, 'k1', 'b'));
  expect(server.hits(discoveryUrl)).toBe(1);
  expect(server.hits(jwksUri)).toBe(1);
});

test.each([
  ['another issuer', { issuer: 'https://evil.example/realms/corp' }],
  ['the issuer with a trailing slash', { issuer: `${issuer}/` }],
  ['the issuer in other letter case', { issuer: issuer.toUpperCase() }],
  ['no issuer', { issuer: undefined }],
])(
  'refuses a document naming %s with 503 keys_unavailable, and never fetches its jwks_uri',
  async (_name, overrides) => {
    server.serve(discoveryUrl, { json: metadata(overrides) });
    await expect(newVerifier().verify(token(first, 'k1'))).rejects.toMatchObject({
      code: 'keys_unavailable',
      status: 503,
    });
    expect(server.hits(discoveryUrl)).toBe(1);
    expect(server.hits(jwksUri)).toBe(0);
    expect(warnings().join('\n')).toMatch(/OpenID discovery failed; no jwks_uri yet/);
    expect(logs.map((line) => line.err?.message).join('\n')).toMatch(/issuer/);
  },
);

describe('a discovery URL that is not loopback', () => {
  const remoteDiscovery = `${issuer}/.well-known/openid-configuration`;
  const remoteJwks = `${issuer}/protocol/openid-connect/certs`;

  beforeEach(() => {
    server.serve(remoteJwks, { json: buildJwks(publicJwk(first.publicKey, { kid: 'k1' })) });
  });

  test('verifies with an https jwks_uri', async () => {
    server.serve(remoteDiscovery, { json: metadata({ jwks_uri: remoteJwks }) });
    const verifier = newVerifier({ url: remoteDiscovery, fetch: server.fetch });
    await expect(verifier.verify(token(first, 'k1'))).resolves.toMatchObject({ subject: { issuer } });
    expect(server.hits(remoteJwks)).toBe(1);
  });

  test.each([
    ['plain http', 'http://sso.corp.example/realms/corp/protocol/openid-connect/certs', /https/],
    ['plain http to loopback', 'http://127.0.0.1:9/certs', /https/],
    ['credentials', 'https://kc:hunter2@sso.corp.example/realms/corp/certs', /credentials/],
    ['no URL', 'certs.json', /not a valid URL/],
  ])('refuses a jwks_uri with %s at fetch, and never fetches it', async (_name, uri, problem) => {
    server.serve(remoteDiscovery, { json: metadata({ jwks_uri: uri }) });
    server.serve(uri.includes('://') ? uri : remoteJwks, { json: buildJwks(publicJwk(first.publicKey)) });
    const verifier = newVerifier({ url: remoteDiscovery, fetch: server.fetch });
    await expect(verifier.verify(token(first, 'k1'))).rejects.toMatchObject({ code: 'keys_unavailable' });
    expect(server.hits(remoteDiscovery)).toBe(1);
    if (uri.includes('://')) expect(server.hits(uri)).toBe(0);
    const errors = logs.map((line) => line.err?.message ?? '').join('\n');
    expect(errors).toMatch(problem);
    // The password is never logged.
    expect(JSON.stringify(logs)).not.toContain('hunter2');
  });
});

test('keeps the last good jwks_uri while discovery fails, and follows a key rotation there', async () => {
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  server.serve(discoveryUrl, { status: 503 });
  server.serve(jwksUri, {
    json: buildJwks(publicJwk(first.publicKey, { kid: 'k1' }), publicJwk(second.publicKey, { kid: 'k2' })),
  });
  // Past the discovery document's hour and the key set's ten minutes.
  clock += 61 * 60_000;
  await expect(verifier.verify(token(second, 'k2', 'rotated'))).resolves.toMatchObject({
    subject: { id: 'rotated' },
  });
  // Precondition: discovery was asked again, and failed.
  expect(server.hits(discoveryUrl)).toBe(2);
  expect(server.hits(jwksUri)).toBe(2);
  expect(warnings()).toContain('OpenID discovery failed; keeping the previous jwks_uri');
});

test('follows a key rotation at the same jwks_uri on an unknown kid without reading discovery again', async () => {
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  server.serve(jwksUri, { json: buildJwks(publicJwk(second.publicKey, { kid: 'k2' })) });
  clock += 31_000;
  await expect(verifier.verify(token(second, 'k2'))).resolves.toBeDefined();
  expect(server.hits(jwksUri)).toBe(2);
  expect(server.hits(discoveryUrl)).toBe(1);
});

test('follows a jwks_uri that moved: the old one failing sends the next refresh to discovery', async () => {
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  const moved = `${server.origin}/realms/corp/protocol/openid-connect/certs-v2`;
  server.serve(moved, { json: buildJwks(publicJwk(second.publicKey, { kid: 'k2' })) });
  server.serve(jwksUri, { status: 404 });
  server.serve(discoveryUrl, { json: metadata({ jwks_uri: moved }) });
  clock += 31_000;
  // The unknown kid refetches the old jwks_uri, which fails; the previous key set is kept.
  await expect(verifier.verify(token(second, 'k2'))).rejects.toMatchObject({ code: 'key_unknown' });
  await expect(verifier.verify(token(first, 'k1', 'old-key'))).resolves.toBeDefined();
  expect(server.hits(discoveryUrl)).toBe(1);
  clock += 31_000;
  await expect(verifier.verify(token(second, 'k2', 'moved'))).resolves.toMatchObject({
    subject: { id: 'moved' },
  });
  expect(server.hits(discoveryUrl)).toBe(2);
  expect(server.hits(moved)).toBe(1);
});

test('reads the discovery document again at the first key set refresh after an hour, not at every one', async () => {
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  for (let minutes = 11; minutes <= 55; minutes += 11) {
    clock += 11 * 60_000;
    await verifier.verify(token(first, 'k1', `at-${minutes}`));
  }
  // Precondition: the key set was refreshed as it expired.
  expect(server.hits(jwksUri)).toBe(6);
  expect(server.hits(discoveryUrl)).toBe(1);
  clock += 11 * 60_000;
  await verifier.verify(token(first, 'k1', 'after-an-hour'));
  expect(server.hits(discoveryUrl)).toBe(2);
  expect(server.hits(jwksUri)).toBe(7);
});

test('a shorter Cache-Control max-age on the discovery document wins over the hour', async () => {
  server.serve(discoveryUrl, { json: metadata(), headers: { 'cache-control': 'public, max-age=600' } });
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  clock += 11 * 60_000;
  await verifier.verify(token(first, 'k1', 'after-eleven-minutes'));
  expect(server.hits(jwksUri)).toBe(2);
  expect(server.hits(discoveryUrl)).toBe(2);
});

test('a discovery document marked no-store is read again at each key set refresh, and no more often', async () => {
  server.serve(discoveryUrl, { json: metadata(), headers: { 'cache-control': 'no-store' } });
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  await verifier.verify(token(first, 'k1', 'same-minute'));
  expect(server.hits(discoveryUrl)).toBe(1);
  clock += 11 * 60_000;
  await verifier.verify(token(first, 'k1', 'after-eleven-minutes'));
  expect(server.hits(discoveryUrl)).toBe(2);
});

test('a longer Cache-Control max-age on the discovery document does not stretch the hour', async () => {
  server.serve(discoveryUrl, { json: metadata(), headers: { 'cache-control': 'max-age=86400' } });
  const verifier = newVerifier();
  await verifier.verify(token(first, 'k1'));
  clock += 61 * 60_000;
  await verifier.verify(token(first, 'k1', 'after-an-hour'));
  expect(server.hits(discoveryUrl)).toBe(2);
});

describe('a reply that is no metadata document', () => {
  const padded = (bytes: number) => metadata({ padding: 'x'.repeat(bytes) });

  test.each([
    ['an HTML page', { text: '<!doctype html><title>Sign in</title>' }, /JSON/],
    ['a JSON array', { json: [metadata()] }, /not an OpenID provider or authorization server metadata/],
    ['a key set', { json: buildJwks(publicJwk(first.publicKey)) }, /issuer/],
    ['a document without jwks_uri', { json: metadata({ jwks_uri: undefined }) }, /no jwks_uri/],
    ['a jwks_uri that is no string', { json: metadata({ jwks_uri: ['a'] }) }, /no jwks_uri/],
    ['an error status', { status: 500 }, /HTTP 500/],
    ['a redirect', { status: 302, headers: { location: '/elsewhere' } }, /fetch failed/],
    ['a document over 64 KiB', { json: padded(70 * 1024) }, /larger than 65536 bytes/],
  ])('refuses %s with 503 keys_unavailable and a log line saying why', async (_name, reply, problem) => {
    server.serve(discoveryUrl, reply);
    await expect(newVerifier().verify(token(first, 'k1'))).rejects.toMatchObject({
      code: 'keys_unavailable',
      status: 503,
    });
    expect(server.hits(jwksUri)).toBe(0);
    const failure = logs.find((line) => line.msg === 'OpenID discovery failed; no jwks_uri yet');
    expect(failure?.err?.message).toMatch(problem);
  });

  test('accepts a document just under the limit', async () => {
    server.serve(discoveryUrl, { json: padded(60 * 1024) });
    await expect(newVerifier().verify(token(first, 'k1'))).resolves.toBeDefined();
  });
});

describe('start-up', () => {
  test('prefetchKeys resolves without throwing when discovery fails, and the first token tries again', async () => {
    server.serve(discoveryUrl, { status: 500 });
    const verifier = newVerifier();
    await expect(verifier.prefetchKeys()).resolves.toBeUndefined();
    expect(server.hits(discoveryUrl)).toBe(1);
    server.serve(discoveryUrl, { json: metadata() });
    clock += 31_000;
    await expect(verifier.verify(token(first, 'k1'))).resolves.toBeDefined();
    expect(server.hits(discoveryUrl)).toBe(2);
  });

  test('prefetchKeys warms both the jwks_uri and the key set', async () => {
    const verifier = newVerifier();
    await verifier.prefetchKeys();
    expect([server.hits(discoveryUrl), server.hits(jwksUri)]).toEqual([1, 1]);
    await verifier.verify(token(first, 'k1'));
    expect([server.hits(discoveryUrl), server.hits(jwksUri)]).toEqual([1, 1]);
  });

  test('prefetchKeys waits at most one fetch timeout in all, discovery included', async () => {
    const slow: JwksFetch = async (url, init) => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      return server.fetch(url, init);
    };
    const verifier = newVerifier({ fetch: slow, limits: { timeoutMs: 1_000 } });
    const started = performance.now();
    await verifier.prefetchKeys();
    // Discovery then the key set take 1.4 s; start-up goes on after the 1 s timeout.
    expect(performance.now() - started).toBeLessThan(1_300);
    // The fetch went on in the background and its keys serve the first token.
    await expect(verifier.verify(token(first, 'k1'))).resolves.toBeDefined();
    expect([server.hits(discoveryUrl), server.hits(jwksUri)]).toEqual([1, 1]);
  });
});
