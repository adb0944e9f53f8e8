/**
 * Key sets as identity providers publish them: mid-rotation sets with one kid on two key types, keys without
 * alg, every curve, RSA-PSS, key types modelgate cannot use beside ones it can. EdDSA: eddsa-tokens.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type StartableTokenVerifier } from '../../src/identity';
import type { JwtAlgorithm } from '../../src/schemas/issuer-config.schema';
import {
  buildJwks,
  generateEcKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  startJwksServer,
  type JwksServer,
  type TestKeyPair,
} from '../helpers/tokens';

const issuer = 'https://keys.interop.example';
const rsa = generateRsaKeyPair();
const ec = generateEcKeyPair('P-256');
const ed25519Jwk = () => publicJwk(generateKeyPairSync('ed25519').publicKey, { kid: 'ed', alg: 'EdDSA' });
// An OKP key for key agreement (ECDH-ES), which Keycloak and others publish beside their signature keys.
const x25519Jwk = () => publicJwk(generateKeyPairSync('x25519').publicKey, { kid: 'enc', alg: 'ECDH-ES' });
let dir: string;
const servers: JwksServer[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-jwks-interop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

type Source = 'jwks_file' | 'jwks_url';

/** A verifier whose key set is the given document, from a file or from a real JWKS server. */
async function verifierFor(
  source: Source,
  jwks: unknown,
  algorithms: JwtAlgorithm[],
): Promise<StartableTokenVerifier> {
  let location: string;
  if (source === 'jwks_url') {
    const server = await startJwksServer(jwks);
    servers.push(server);
    location = server.url;
  } else {
    location = `jwks-${servers.length}-${Math.random().toString(36).slice(2)}.json`;
    writeFileSync(join(dir, location), JSON.stringify(jwks));
  }
  const issuers = loadTrustedIssuers([{ issuer, audiences: ['modelgate'], algorithms, [source]: location }], {
    baseDir: dir,
  });
  return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
}

function token(alg: JwtAlgorithm, pair: TestKeyPair, kid?: string): string {
  return signToken({
    header: { alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }) },
    claims: standardClaims({ issuer, audience: 'modelgate' }),
    key: pair.privateKey,
  });
}

describe.each<Source>(['jwks_file', 'jwks_url'])('a key set from a %s', (source) => {
  it('accepts tokens of both keys that share a kid while an issuer rotates from RSA to EC', async () => {
    const jwks = buildJwks(
      publicJwk(rsa.publicKey, { kid: 'signing', alg: 'RS256', use: 'sig' }),
      publicJwk(ec.publicKey, { kid: 'signing', alg: 'ES256', use: 'sig' }),
    );
    const verifier = await verifierFor(source, jwks, ['RS256', 'ES256']);
    await expect(verifier.verify(token('RS256', rsa, 'signing'))).resolves.toBeDefined();
    await expect(verifier.verify(token('ES256', ec, 'signing'))).resolves.toBeDefined();
  });

  it('accepts tokens of one kid on an RSA key pinned to RS256 and another pinned to PS256', async () => {
    const next = generateRsaKeyPair();
    const jwks = buildJwks(
      publicJwk(rsa.publicKey, { kid: 'k', alg: 'RS256' }),
      publicJwk(next.publicKey, { kid: 'k', alg: 'PS256' }),
    );
    const verifier = await verifierFor(source, jwks, ['RS256', 'PS256']);
    await expect(verifier.verify(token('RS256', rsa, 'k'))).resolves.toBeDefined();
    await expect(verifier.verify(token('PS256', next, 'k'))).resolves.toBeDefined();
    // The PS256 key does not verify RS256 tokens of its own private key: its alg pins it.
    await expect(verifier.verify(token('RS256', next, 'k'))).rejects.toMatchObject({
      code: 'signature_invalid',
    });
  });

  it('skips an X25519 (OKP) key beside an RSA key instead of refusing the whole set', async () => {
    const verifier = await verifierFor(
      source,
      buildJwks(x25519Jwk(), publicJwk(rsa.publicKey, { kid: 'r' })),
      ['RS256'],
    );
    await expect(verifier.verify(token('RS256', rsa, 'r'))).resolves.toBeDefined();
  });

  it('skips a key of a type no JOSE registry names yet beside an EC key', async () => {
    const future = {
      kty: 'AKP',
      alg: 'ML-DSA-44',
      kid: 'pq',
      pub: Buffer.alloc(32, 7).toString('base64url'),
    };
    const verifier = await verifierFor(source, buildJwks(future, publicJwk(ec.publicKey, { kid: 'e' })), [
      'ES256',
    ]);
    await expect(verifier.verify(token('ES256', ec, 'e'))).resolves.toBeDefined();
  });

  it.each([
    ['ES384', 'P-384'],
    ['ES512', 'P-521'],
  ] as const)('accepts %s with a %s key that names no alg', async (alg, curve) => {
    const pair = generateEcKeyPair(curve);
    const verifier = await verifierFor(source, buildJwks(publicJwk(pair.publicKey, { kid: curve })), [alg]);
    await expect(verifier.verify(token(alg, pair, curve))).resolves.toBeDefined();
  });

  it('accepts PS256 with an RSA key that names no alg, and a token without kid when the set holds one key', async () => {
    const verifier = await verifierFor(source, buildJwks(publicJwk(rsa.publicKey)), ['PS256']);
    await expect(verifier.verify(token('PS256', rsa))).resolves.toBeDefined();
  });
});

it('refuses a JWKS file holding two keys under one kid that could verify the same algorithm', async () => {
  const jwks = buildJwks(
    publicJwk(rsa.publicKey, { kid: 'k' }),
    publicJwk(generateRsaKeyPair().publicKey, { kid: 'k', alg: 'RS256' }),
  );
  await expect(verifierFor('jwks_file', jwks, ['RS256'])).rejects.toThrow(
    /keys\[1\] has the kid of keys\[0\]/,
  );
});

it('refuses an EdDSA token with algorithm_not_allowed from an issuer that does not list EdDSA, though it publishes an Ed25519 key', async () => {
  const verifier = await verifierFor(
    'jwks_url',
    buildJwks(ed25519Jwk(), publicJwk(rsa.publicKey, { kid: 'r' })),
    ['RS256'],
  );
  const forged = signToken({
    header: { alg: 'EdDSA', kid: 'ed' },
    claims: standardClaims({ issuer, audience: 'modelgate' }),
    key: rsa.privateKey,
    signAs: 'RS256',
  });
  await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'algorithm_not_allowed' });
});
