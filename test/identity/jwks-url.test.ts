import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type StartableTokenVerifier } from '../../src/identity';
import {
  buildJwks,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  startJwksServer,
  type JwksServer,
  type TestKeyPair,
} from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';

const issuer = 'https://idp.jwks-test.example';
const audience = 'modelgate';
const first = generateRsaKeyPair();
const second = generateRsaKeyPair();

let server: JwksServer;
let clock: number;
let verifier: StartableTokenVerifier;

/** A verifier on a fake clock (the JWKS timers and the token times both read it), against the real server. */
function newVerifier(): StartableTokenVerifier {
  const issuers = loadTrustedIssuers(
    [{ issuer, audiences: [audience], algorithms: ['RS256'], jwks_url: server.url }],
    {
      baseDir: __dirname,
    },
  );
  return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }), now: () => clock });
}

function token(pair: TestKeyPair, kid: string, sub = 'svc:jwks'): string {
  const claims = standardClaims({ issuer, audience, nowSeconds: Math.floor(clock / 1000) }, { sub });
  return signToken({ header: { alg: 'RS256', kid }, claims, key: pair.privateKey });
}

beforeEach(async () => {
  server = await startJwksServer(buildJwks(publicJwk(first.publicKey, { kid: 'k1', use: 'sig' })));
  clock = Date.now();
  verifier = newVerifier();
});

afterEach(() => server.close());

test('fetches the key set on first use and serves later tokens from the cache', async () => {
  expect(server.fetchCount).toBe(0);
  await expect(verifier.verify(token(first, 'k1', 'a'))).resolves.toMatchObject({ subject: { id: 'a' } });
  expect(server.fetchCount).toBe(1);
  await verifier.verify(token(first, 'k1', 'b'));
  clock += 9 * 60_000;
  await verifier.verify(token(first, 'k1', 'c'));
  expect(server.fetchCount).toBe(1);
});

test('fetches again once the 10 minute cache lifetime has passed', async () => {
  await verifier.verify(token(first, 'k1'));
  expect(server.fetchCount).toBe(1);
  clock += 10 * 60_000 + 1;
  await verifier.verify(token(first, 'k1', 'later'));
  expect(server.fetchCount).toBe(2);
});

test('honours a shorter Cache-Control max-age from the issuer', async () => {
  server.setCacheControl('public, max-age=120');
  await verifier.verify(token(first, 'k1'));
  clock += 119_000;
  await verifier.verify(token(first, 'k1', 'still-cached'));
  expect(server.fetchCount).toBe(1);
  clock += 2_000;
  await verifier.verify(token(first, 'k1', 'expired-cache'));
  expect(server.fetchCount).toBe(2);
});

test('refetches once for an unknown kid and finds a rotated key', async () => {
  await verifier.verify(token(first, 'k1'));
  expect(server.fetchCount).toBe(1);
  server.setJwks(
    buildJwks(publicJwk(first.publicKey, { kid: 'k1' }), publicJwk(second.publicKey, { kid: 'k2' })),
  );
  clock += 31_000;
  await expect(verifier.verify(token(second, 'k2'))).resolves.toMatchObject({ subject: { id: 'svc:jwks' } });
  expect(server.fetchCount).toBe(2);
});

test('refuses an unknown kid with key_unknown after at most one refetch', async () => {
  await verifier.verify(token(first, 'k1'));
  clock += 31_000;
  await expect(verifier.verify(token(second, 'nope'))).rejects.toMatchObject({
    code: 'key_unknown',
    status: 401,
  });
  expect(server.fetchCount).toBe(2);
});

test('refetches for unknown kids at most once per 30 s', async () => {
  await verifier.verify(token(first, 'k1'));
  clock += 31_000;
  for (let i = 0; i < 5; i += 1) {
    await expect(verifier.verify(token(second, `unknown-${i}`))).rejects.toMatchObject({
      code: 'key_unknown',
    });
  }
  // Precondition met: unknown kids did cause one refetch, and only one.
  expect(server.fetchCount).toBe(2);
  clock += 29_000;
  await expect(verifier.verify(token(second, 'unknown-late'))).rejects.toMatchObject({ code: 'key_unknown' });
  expect(server.fetchCount).toBe(2);
  clock += 2_000;
  await expect(verifier.verify(token(second, 'unknown-after'))).rejects.toMatchObject({
    code: 'key_unknown',
  });
  expect(server.fetchCount).toBe(3);
});

test('shares one fetch between concurrent first requests', async () => {
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => verifier.verify(token(first, 'k1', `c${i}`))),
  );
  expect(results).toHaveLength(8);
  expect(server.fetchCount).toBe(1);
});

test('answers 503 keys_unavailable when the key set cannot be fetched and none is cached', async () => {
  server.setStatus(500);
  await expect(verifier.verify(token(first, 'k1'))).rejects.toMatchObject({
    code: 'keys_unavailable',
    status: 503,
  });
  expect(server.fetchCount).toBe(1);
});

test('keeps verifying with the last key set while the URL fails, within the stale limit', async () => {
  await verifier.verify(token(first, 'k1'));
  server.setStatus(503);
  clock += 11 * 60_000;
  await expect(verifier.verify(token(first, 'k1', 'stale-ok'))).resolves.toMatchObject({
    subject: { id: 'stale-ok' },
  });
  // Precondition: the expired cache did try the URL, and the try failed.
  expect(server.fetchCount).toBe(2);
  clock += 60 * 60_000;
  await expect(verifier.verify(token(first, 'k1', 'too-stale'))).rejects.toMatchObject({
    code: 'keys_unavailable',
  });
});

test('serves the stale key set without waiting for a retry that hangs: an endpoint that never answers stalls no decision', async () => {
  await verifier.verify(token(first, 'k1'));
  // The key set falls due and its refresh fails: from then on it is stale, and served up to the stale limit.
  server.setStatus(503);
  clock += 11 * 60_000;
  await verifier.verify(token(first, 'k1', 'stale'));
  expect(server.fetchCount).toBe(2);
  // Then the endpoint hangs (and, unseen until it answers, has rotated): the next retry must hold up no token.
  server.setStatus(200);
  server.setJwks(
    buildJwks(publicJwk(first.publicKey, { kid: 'k1' }), publicJwk(second.publicKey, { kid: 'k2' })),
  );
  server.hold();
  clock += 31_000;
  await expect(verifier.verify(token(first, 'k1', 'not-held-up'))).resolves.toMatchObject({
    subject: { id: 'not-held-up' },
  });
  // Precondition: the retry was made, and it is still waiting for its answer.
  await waitFor('the retry to reach the hanging endpoint', () => server.openHeld === 1);
  expect(server.fetchCount).toBe(3);
  server.release();
  // The retry goes on behind the token it was made for, and its answer is taken when it comes.
  await waitFor('the key set of the retry', () => verifier.keyStatus()[0]!.kids.includes('k2'), 10_000);
});

test('a new kid while the key set is stale waits for the retry it starts, and finds the rotated key', async () => {
  await verifier.verify(token(first, 'k1'));
  server.setStatus(503);
  clock += 11 * 60_000;
  await verifier.verify(token(first, 'k1', 'stale'));
  // Precondition: the key set is stale, and k2 is not in it.
  expect(verifier.keyStatus()[0]).toMatchObject({ stale: true, kids: ['k1'] });
  server.setStatus(200);
  server.setJwks(
    buildJwks(publicJwk(first.publicKey, { kid: 'k1' }), publicJwk(second.publicKey, { kid: 'k2' })),
  );
  clock += 31_000;
  await expect(verifier.verify(token(second, 'k2', 'rotated'))).resolves.toMatchObject({
    subject: { id: 'rotated' },
  });
  expect(server.fetchCount).toBe(3);
});

test('prefetchKeys warms the cache without throwing when the URL fails', async () => {
  server.setStatus(500);
  await expect(verifier.prefetchKeys()).resolves.toBeUndefined();
  expect(server.fetchCount).toBe(1);
  server.setStatus(200);
  const fresh = newVerifier();
  await fresh.prefetchKeys();
  expect(server.fetchCount).toBe(2);
  await fresh.verify(token(first, 'k1'));
  expect(server.fetchCount).toBe(2);
});

test('never uses a key that the key set marks for encryption', async () => {
  server.setJwks(buildJwks(publicJwk(first.publicKey, { kid: 'k1', use: 'enc' })));
  await expect(verifier.verify(token(first, 'k1'))).rejects.toMatchObject({ code: 'key_unknown' });
  expect(server.fetchCount).toBe(1);
});

test('never uses an RSA key under 2048 bits from the key set', async () => {
  const weak = generateRsaKeyPair(1024);
  server.setJwks(
    buildJwks(publicJwk(first.publicKey, { kid: 'k1' }), publicJwk(weak.publicKey, { kid: 'weak' })),
  );
  await expect(verifier.verify(token(weak, 'weak'))).rejects.toMatchObject({ code: 'key_unknown' });
  await expect(verifier.verify(token(first, 'k1'))).resolves.toMatchObject({ subject: { id: 'svc:jwks' } });
});

test.each([
  ['an error document', { error: 'temporarily_unavailable' }],
  ['a key set of unusable keys only', buildJwks(publicJwk(generateRsaKeyPair(1024).publicKey, { kid: 'x' }))],
])('keeps the last key set when the URL answers 200 with %s', async (_name, document) => {
  await verifier.verify(token(first, 'k1'));
  server.setJwks(document);
  clock += 11 * 60_000;
  await expect(verifier.verify(token(first, 'k1', 'kept'))).resolves.toMatchObject({
    subject: { id: 'kept' },
  });
  // Precondition: the expired cache did fetch the bad reply.
  expect(server.fetchCount).toBe(2);
});

test('an empty key set from the issuer revokes every key', async () => {
  await verifier.verify(token(first, 'k1'));
  server.setJwks(buildJwks());
  clock += 11 * 60_000;
  await expect(verifier.verify(token(first, 'k1', 'revoked'))).rejects.toMatchObject({ code: 'key_unknown' });
});

test('stops reading a reply without Content-Length once it passes the size limit', async () => {
  let written = 0;
  const endless = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // Up to 64 MiB, unless the client goes away first.
    const pump = () => {
      while (written < 64 * 1024 * 1024 && !response.destroyed) {
        written += chunk.length;
        if (!response.write(chunk)) return void response.once('drain', pump);
      }
      response.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = endless.address() as AddressInfo;
    const issuers = loadTrustedIssuers(
      [
        {
          issuer,
          audiences: [audience],
          algorithms: ['RS256'],
          jwks_url: `http://127.0.0.1:${port}/jwks.json`,
        },
      ],
      { baseDir: __dirname },
    );
    const capped = createTokenVerifier(issuers, { logger: pino({ level: 'silent' }), now: () => clock });
    await expect(capped.verify(token(first, 'k1'))).rejects.toMatchObject({ code: 'keys_unavailable' });
    // The limit is 512 KiB; socket buffers may hold a few MiB more, never the whole 64.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  } finally {
    endless.closeAllConnections();
    await new Promise<void>((resolve) => endless.close(() => resolve()));
  }
});
