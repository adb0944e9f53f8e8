/**
 * Signatures that broken verifiers have accepted: ECDSA with r = s = 0 (CVE-2022-21449, "psychic signatures"),
 * ECDSA in DER instead of JOSE's fixed-width r || s, a signature from another curve, an RSA signature cut short
 * or of zeros. Each must be refused `signature_invalid` by an issuer that accepts the algorithm, with the key
 * the token names; the genuine token of the same issuer is the precondition.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers } from '../../src/identity';
import {
  base64url,
  buildJwks,
  generateEcKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
} from '../helpers/tokens';

// The order n of P-256 (FIPS 186-4, D.1.2.3): r = s = n reduces to r = s = 0 in a verifier that forgets the range check.
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

const issuer = 'https://forgeries.example';
const p256 = generateEcKeyPair('P-256');
const p384 = generateEcKeyPair('P-384');
const rsa = generateRsaKeyPair();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-forgeries-'));
  const jwks = buildJwks(publicJwk(p256.publicKey, { kid: 'ec' }), publicJwk(rsa.publicKey, { kid: 'rsa' }));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verifier() {
  const issuers = loadTrustedIssuers(
    [{ issuer, audiences: ['modelgate'], algorithms: ['ES256', 'RS256'], jwks_file: 'jwks.json' }],
    { baseDir: dir },
  );
  return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
}

const header = (alg: string, kid: string) => ({ alg, typ: 'JWT', kid });
const claims = () => standardClaims({ issuer, audience: 'modelgate' });

/** The signing input of a fresh token with this header, and a signature segment of our choosing. */
function withSignature(alg: string, kid: string, signature: Buffer): string {
  return `${base64url(header(alg, kid))}.${base64url(claims())}.${signature.toString('base64url')}`;
}

test('the genuine ES256 and RS256 tokens of the issuer verify (the precondition)', async () => {
  const es = signToken({ header: header('ES256', 'ec'), claims: claims(), key: p256.privateKey });
  const rs = signToken({ header: header('RS256', 'rsa'), claims: claims(), key: rsa.privateKey });
  await expect(verifier().verify(es)).resolves.toMatchObject({ subject: { issuer } });
  await expect(verifier().verify(rs)).resolves.toMatchObject({ subject: { issuer } });
});

const derOfGenuine = (): Buffer => {
  const token = signToken({ header: header('ES256', 'ec'), claims: claims(), key: p256.privateKey });
  const [h, p] = token.split('.');
  return sign('sha256', Buffer.from(`${h}.${p}`), p256.privateKey);
};

test.each([
  ['ES256 with r = s = 0 (psychic signature, CVE-2022-21449)', 'ES256', 'ec', () => Buffer.alloc(64)],
  ['ES256 with r = s = n, the curve order', 'ES256', 'ec', () => Buffer.concat([P256_ORDER, P256_ORDER])],
  ['ES256 with r = s = 0 in DER', 'ES256', 'ec', () => Buffer.from('3006020100020100', 'hex')],
  ['ES256 with a genuine signature in DER instead of r || s', 'ES256', 'ec', derOfGenuine],
  ['ES256 with an empty signature', 'ES256', 'ec', () => Buffer.alloc(0)],
  ['ES256 with a P-384 signature', 'ES256', 'ec', () => sign('sha384', Buffer.from('x'), p384.privateKey)],
  ['RS256 with a signature of zeros', 'RS256', 'rsa', () => Buffer.alloc(256)],
  ['RS256 with a one-byte signature', 'RS256', 'rsa', () => Buffer.from([1])],
])('refuses %s with signature_invalid', async (_name, alg, kid, signature) => {
  await expect(verifier().verify(withSignature(alg, kid, signature()))).rejects.toMatchObject({
    code: 'signature_invalid',
  });
});
