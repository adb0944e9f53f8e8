/**
 * POST /v1/decide with access tokens signed with Ed25519, against a real server whose issuer fetches its keys
 * from a real JWKS endpoint that also publishes an RSA key and an X25519 encryption key (as Keycloak does once
 * a realm has an EdDSA key provider): the decision, the challenge of a refusal, and the audit record of both.
 */
import { auditRow } from '../helpers/audit-db';
import { keycloakAccessToken } from '../helpers/idp-shapes';
import { startTestService, SUPPORT_REPLY_CALL, testIssuerEntry, type TestService } from '../helpers/service';
import {
  buildJwks,
  generateOkpKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  startJwksServer,
  type JwksServer,
} from '../helpers/tokens';

const REALM = 'https://sso.corp.example/realms/agents';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };

describe('POST /v1/decide with Ed25519-signed tokens from a JWKS URL', () => {
  let svc: TestService;
  let jwks: JwksServer;
  const ed25519 = generateOkpKeyPair('ed25519');

  beforeAll(async () => {
    jwks = await startJwksServer(
      buildJwks(
        publicJwk(generateRsaKeyPair().publicKey, { kid: 'rsa-gen', alg: 'RS256', use: 'sig' }),
        publicJwk(ed25519.publicKey, { kid: 'eddsa-gen', alg: 'EdDSA', use: 'sig' }),
        publicJwk(generateOkpKeyPair('x25519').publicKey, { kid: 'ecdh-gen', alg: 'ECDH-ES', use: 'enc' }),
      ),
    );
    svc = await startTestService({
      issuers: [
        testIssuerEntry(),
        { issuer: REALM, audiences: ['modelgate'], algorithms: ['RS256', 'EdDSA'], jwks_url: jwks.url },
      ],
      audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
    });
  });
  afterAll(async () => {
    await svc.close();
    await jwks.close();
  });

  const token = (claims: Record<string, unknown> = {}) =>
    signToken({
      header: { alg: 'EdDSA', typ: 'JWT', kid: 'eddsa-gen' },
      claims: standardClaims({ issuer: REALM, audience: 'modelgate' }, { ...SUPPORT, ...claims }),
      key: ed25519.privateKey,
    });

  it('allows the call, and records the subject and issuer the token proved', async () => {
    const res = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, token());
    expect(res.status).toBe(200);
    expect(res.body.allow).toBe(true);
    expect(res.headers.get('www-authenticate')).toBeNull();
    const row = auditRow(svc.db, res.body.decision_id as string);
    expect(row).toMatchObject({ outcome: 'allowed', status: 200, subject: SUPPORT.sub, path: '/v1/decide' });
    expect(row!.record.issuer).toBe(REALM);
  });

  it('takes a Keycloak-shaped access token signed by the realm’s EdDSA key', async () => {
    const shape = keycloakAccessToken({ issuer: REALM, audience: 'modelgate', kid: 'eddsa-gen' }, 'ci-bot', {
      realm: ['offline_access'],
      resource: {},
    });
    const signed = signToken({
      header: { ...shape.header, alg: 'EdDSA' },
      claims: shape.claims,
      key: ed25519.privateKey,
    });
    const res = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, signed);
    // Authenticated (the policy then decides on its own grounds): the record names the token's subject.
    expect(res.status).toBe(200);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({ subject: shape.claims.sub });
  });

  it.each([
    ['that has expired', { exp: Math.floor(Date.now() / 1000) - 120 }, 'token_expired', 'invalid_token'],
    ['for another audience', { aud: 'billing' }, 'audience_invalid', 'invalid_token'],
  ])(
    'refuses an EdDSA token %s with 401, its code and challenge, recorded',
    async (_name, claims, code, error) => {
      const res = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, token(claims));
      expect(res.status).toBe(401);
      expect(res.body.reasons).toEqual([expect.objectContaining({ code })]);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer error="${error}", error_description="${code}"`,
      );
      expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
        outcome: 'rejected',
        status: 401,
        subject: null,
        record: expect.objectContaining({ reasons: [code] }),
      });
    },
  );

  it('refuses an EdDSA token signed by a key the realm does not publish: 401 signature_invalid, recorded', async () => {
    const forged = signToken({
      header: { alg: 'EdDSA', typ: 'JWT', kid: 'eddsa-gen' },
      claims: standardClaims({ issuer: REALM, audience: 'modelgate' }, SUPPORT),
      key: generateOkpKeyPair('ed25519').privateKey,
    });
    const res = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, forged);
    expect(res.status).toBe(401);
    expect(res.body.reasons).toEqual([expect.objectContaining({ code: 'signature_invalid' })]);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
    });
  });

  it('refuses an EdDSA token that names the X25519 key: 401 key_unknown', async () => {
    const res = await svc.post(
      '/v1/decide',
      SUPPORT_REPLY_CALL,
      signToken({
        header: { alg: 'EdDSA', typ: 'JWT', kid: 'ecdh-gen' },
        claims: standardClaims({ issuer: REALM, audience: 'modelgate' }, SUPPORT),
        key: ed25519.privateKey,
      }),
    );
    expect(res.status).toBe(401);
    expect(res.body.reasons).toEqual([expect.objectContaining({ code: 'key_unknown' })]);
  });
});
