/**
 * EdDSA access tokens (RFC 8037) and RFC 9864's Ed25519 and Ed448: the RFC's own example, keys from a real JWKS
 * server, and every key confusion refused. A token's `alg` and `kid` are the sender's; only the key set decides.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type StartableTokenVerifier } from '../../src/identity';
import { jwkThumbprint, thumbprintMembers } from '../../src/identity/jwk-thumbprint';
import { jwsSignatureVerifies } from '../../src/identity/jws-signature';
import { verifyJwt } from '../../src/identity/verify-jwt';
import type { JwtAlgorithm } from '../../src/schemas/issuer-config.schema';
import { jwkThumbprint as helperThumbprint } from '../helpers/dpop';
import {
  buildJwks,
  generateEcKeyPair,
  generateOkpKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  startJwksServer,
  type JwksServer,
  type TestKeyPair,
} from '../helpers/tokens';

// RFC 8037 Appendix A.1, A.3 and A.4: the Ed25519 example key, its thumbprint, and a JWS it signed.
const RFC_KEY: JsonWebKey = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
const RFC_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const RFC_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
  'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

describe('the examples of RFC 8037', () => {
  const key = createPublicKey({ key: RFC_KEY, format: 'jwk' });

  it('verifies the Ed25519 JWS of appendix A.4, and not with one byte of its payload changed', () => {
    expect(jwsSignatureVerifies(RFC_JWS, 'EdDSA', key)).toBe(true);
    expect(jwsSignatureVerifies(RFC_JWS, 'Ed25519', key)).toBe(true);
    expect(jwsSignatureVerifies(RFC_JWS.replace('RXhh', 'RXhi'), 'EdDSA', key)).toBe(false);
    expect(jwsSignatureVerifies(RFC_JWS, 'Ed448', key)).toBe(false);
  });

  it('computes the thumbprint of appendix A.3 from crv, kty and x, as does the test helper', () => {
    expect(jwkThumbprint(thumbprintMembers({ ...RFC_KEY, kid: 'ignored', use: 'sig' })!)).toBe(
      RFC_THUMBPRINT,
    );
    expect(helperThumbprint(RFC_KEY)).toBe(RFC_THUMBPRINT);
  });
});

describe('verifyJwt with a key that does not fit the alg, however it got there', () => {
  const ed = generateOkpKeyPair('ed25519');
  const token = signToken({ header: { alg: 'EdDSA' }, claims: { sub: 'x' }, key: ed.privateKey });
  const check =
    (key: TestKeyPair, algorithm: JwtAlgorithm = 'EdDSA') =>
    () =>
      verifyJwt(token, key.publicKey, { algorithm, clockTimestamp: Math.floor(Date.now() / 1000) });

  it('verifies with the signing key (the precondition)', () => {
    expect(check(ed)()).toEqual({ sub: 'x' });
  });

  it.each<[string, () => TestKeyPair]>([
    ['an RSA key', () => generateRsaKeyPair()],
    ['an EC key', () => generateEcKeyPair()],
    ['an X25519 key', () => generateOkpKeyPair('x25519')],
    ['an Ed448 key', () => generateOkpKeyPair('ed448')],
  ])('refuses %s as the key of an EdDSA token: invalid signature', (_name, key) => {
    expect(check(key())).toThrow('invalid signature');
  });

  it('refuses the right key when the header names another alg than the one asked for', () => {
    expect(check(ed, 'Ed448')).toThrow('invalid algorithm');
  });
});

describe('EdDSA tokens with keys from a real JWKS server', () => {
  const issuer = 'https://okp.idp.example';
  const rsa = generateRsaKeyPair();
  const ec = generateEcKeyPair('P-256');
  const ed25519 = generateOkpKeyPair('ed25519');
  const ed448 = generateOkpKeyPair('ed448');
  const x25519 = generateOkpKeyPair('x25519');
  let server: JwksServer;
  let verifier: StartableTokenVerifier;

  beforeAll(async () => {
    server = await startJwksServer(
      buildJwks(
        publicJwk(rsa.publicKey, { kid: 'rsa' }),
        publicJwk(ec.publicKey, { kid: 'ec' }),
        publicJwk(ed25519.publicKey, { kid: 'ed25519' }),
        publicJwk(ed448.publicKey, { kid: 'ed448' }),
        // Published for ECDH-ES encryption; it shares no kid with a signature key, so a token can name it.
        publicJwk(x25519.publicKey, { kid: 'x25519' }),
      ),
    );
    const issuers = loadTrustedIssuers(
      [
        {
          issuer,
          audiences: ['modelgate'],
          algorithms: ['RS256', 'ES256', 'EdDSA', 'Ed25519', 'Ed448'],
          jwks_url: server.url,
        },
      ],
      { baseDir: '.' },
    );
    verifier = createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
  });
  afterAll(() => server.close());

  const token = (alg: string, key: TestKeyPair, kid?: string, signAs?: string) =>
    signToken({
      header: { alg, typ: 'JWT', ...(kid !== undefined && { kid }) },
      claims: standardClaims({ issuer, audience: 'modelgate' }),
      key: key.privateKey,
      signAs,
    });

  it.each<[string, string, () => TestKeyPair]>([
    ['EdDSA', 'ed25519', () => ed25519],
    ['EdDSA', 'ed448', () => ed448],
    ['Ed25519', 'ed25519', () => ed25519],
    ['Ed448', 'ed448', () => ed448],
  ])('accepts %s signed by the %s key', async (alg, kid, key) => {
    await expect(verifier.verify(token(alg, key(), kid))).resolves.toMatchObject({ subject: { issuer } });
  });

  it('accepts an Ed25519 token without kid (one key can verify it), refuses an EdDSA one (two could)', async () => {
    await expect(verifier.verify(token('Ed25519', ed25519))).resolves.toMatchObject({ subject: { issuer } });
    await expect(verifier.verify(token('EdDSA', ed25519))).rejects.toMatchObject({
      code: 'key_unknown',
      message: 'the token has no kid and 2 keys of the key set can verify EdDSA',
    });
  });

  // Each forged token is signed with the private key of the key its kid names, under the alg that key is for, so
  // that only the choice of key can refuse it.
  it.each<[string, () => string, string]>([
    [
      'alg EdDSA naming the RSA key',
      () => token('EdDSA', rsa, 'rsa', 'RS256'),
      'the selected key cannot verify EdDSA',
    ],
    [
      'alg EdDSA naming the EC key',
      () => token('EdDSA', ec, 'ec', 'ES256'),
      'the selected key cannot verify EdDSA',
    ],
    [
      'alg ES256 naming the Ed25519 key',
      () => token('ES256', ed25519, 'ed25519', 'EdDSA'),
      'cannot verify ES256',
    ],
    ['alg RS256 naming the Ed448 key', () => token('RS256', ed448, 'ed448', 'EdDSA'), 'cannot verify RS256'],
    [
      'alg Ed25519 naming the Ed448 key',
      () => token('Ed25519', ed448, 'ed448', 'EdDSA'),
      'cannot verify Ed25519',
    ],
    [
      'alg Ed448 naming the Ed25519 key',
      () => token('Ed448', ed25519, 'ed25519', 'EdDSA'),
      'cannot verify Ed448',
    ],
    [
      'alg EdDSA naming the X25519 key',
      () => token('EdDSA', ed25519, 'x25519'),
      'no key matches the token kid',
    ],
  ])('refuses %s with key_unknown', async (_name, forged, message) => {
    await expect(verifier.verify(forged())).rejects.toMatchObject({
      code: 'key_unknown',
      message: expect.stringContaining(message),
    });
  });

  it('holds every signature key of the set, and not the X25519 one', async () => {
    await expect(verifier.verify(token('EdDSA', ed25519, 'ed25519'))).resolves.toBeDefined();
    expect(verifier.keyStatus()[0]).toMatchObject({ keys: 4, kids: ['rsa', 'ec', 'ed25519', 'ed448'] });
  });
});
