import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers } from '../../src/identity';
import { selectKey } from '../../src/identity/key-source';
import {
  buildJwks,
  generateEcKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
} from '../helpers/tokens';

const rsa = generateRsaKeyPair();
const rsa2 = generateRsaKeyPair();
const ec = generateEcKeyPair('P-256');
const issuer = 'https://keys.example';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-keys-'));
  writeFileSync(join(dir, 'one.json'), JSON.stringify(buildJwks(publicJwk(rsa.publicKey))));
  writeFileSync(
    join(dir, 'two.json'),
    JSON.stringify(buildJwks(publicJwk(rsa.publicKey, { kid: 'r' }), publicJwk(ec.publicKey, { kid: 'e' }))),
  );
  writeFileSync(
    join(dir, 'two-rsa.json'),
    JSON.stringify(
      buildJwks(publicJwk(rsa.publicKey, { kid: 'r' }), publicJwk(rsa2.publicKey, { kid: 'r2' })),
    ),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verifierFor(jwksFile: string, algorithms = ['RS256', 'ES256']) {
  const issuers = loadTrustedIssuers(
    [{ issuer, audiences: ['modelgate'], algorithms, jwks_file: jwksFile }],
    { baseDir: dir },
  );
  return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
}

const claims = () => standardClaims({ issuer, audience: 'modelgate' });

test('a token without kid may use a key set that holds exactly one key', async () => {
  const token = signToken({ header: { alg: 'RS256' }, claims: claims(), key: rsa.privateKey });
  await expect(verifierFor('one.json', ['RS256']).verify(token)).resolves.toMatchObject({
    subject: { issuer },
  });
});

test('a token without kid uses the one key of the set that can verify its alg', async () => {
  const verifier = verifierFor('two.json');
  const rsaToken = signToken({ header: { alg: 'RS256' }, claims: claims(), key: rsa.privateKey });
  await expect(verifier.verify(rsaToken)).resolves.toMatchObject({ subject: { issuer } });
  const ecToken = signToken({ header: { alg: 'ES256' }, claims: claims(), key: ec.privateKey });
  await expect(verifier.verify(ecToken)).resolves.toMatchObject({ subject: { issuer } });
});

test('a token without kid is refused with key_unknown when several keys could verify its alg', async () => {
  const verifier = verifierFor('two-rsa.json', ['RS256']);
  // Precondition: the same key, named by its kid, verifies.
  const named = signToken({ header: { alg: 'RS256', kid: 'r' }, claims: claims(), key: rsa.privateKey });
  await expect(verifier.verify(named)).resolves.toBeDefined();
  const unnamed = signToken({ header: { alg: 'RS256' }, claims: claims(), key: rsa.privateKey });
  await expect(verifier.verify(unnamed)).rejects.toMatchObject({
    code: 'key_unknown',
    message: expect.stringContaining('2 keys of the key set can verify RS256'),
  });
});

test('a kid naming a key of the wrong family is refused with key_unknown, before any signature check', async () => {
  const verifier = verifierFor('two.json');
  const token = signToken({ header: { alg: 'RS256', kid: 'e' }, claims: claims(), key: rsa.privateKey });
  await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'key_unknown' });
});

test('selectKey honours a key pinned to one algorithm by its JWK alg', () => {
  const keys = [{ key: rsa.publicKey, kid: 'r', alg: 'RS256' }];
  expect(selectKey(keys, { alg: 'RS256', kid: 'r' }, true)).toHaveProperty('key');
  expect(selectKey(keys, { alg: 'PS256', kid: 'r' }, true)).toMatchObject({ miss: 'unfit' });
  expect(selectKey(keys, { alg: 'RS256', kid: 'x' }, true)).toMatchObject({ miss: 'unknown' });
  // Without a kid, the only key that can verify the alg; none is a miss a refetch may cure.
  const pair = [...keys, { key: ec.publicKey, kid: 'e' }];
  expect(selectKey(pair, { alg: 'ES256' }, true)).toEqual({ key: ec.publicKey });
  expect(selectKey(pair, { alg: 'PS256' }, true)).toMatchObject({ miss: 'unknown' });
  // A PEM key (matchKid false) ignores the kid.
  expect(selectKey([{ key: rsa.publicKey }], { alg: 'RS256', kid: 'anything' }, false)).toHaveProperty('key');
});
