/**
 * POST /v1/decide with tokens shaped as real identity providers issue them, against a real server whose issuers
 * fetch their keys from real JWKS endpoints: what the policy saw (input.subject, as recorded) and what a refused
 * token gets back.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IssuerConfig } from '../../src/schemas/issuer-config.schema';
import { auditRow } from '../helpers/audit-db';
import { keycloakDiscovery } from '../helpers/discovery-documents';
import { startDocumentServer, type DocumentServer } from '../helpers/document-server';
import {
  cognitoToken,
  entraAccessToken,
  entraIssuer,
  jwkWithCertificate,
  keycloakAccessToken,
  keycloakIdToken,
  rfc9068AccessToken,
  spiffeBundle,
  spiffeJwtSvid,
} from '../helpers/idp-shapes';
import { startTestService, type TestService } from '../helpers/service';
import {
  buildJwks,
  generateEcKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  startJwksServer,
  type JwksServer,
} from '../helpers/tokens';

const body = { invocation: { model: 'anthropic.claude-haiku', operation: 'chat' } };
const rsa = generateRsaKeyPair();
const ec = generateEcKeyPair('P-256');
const SPIRE = 'https://oidc.spire.corp.example';
const TRUST_DOMAIN = 'spiffe://workloads.corp.example';
const COGNITO = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E';
const COGNITO_CLIENT = '5k2v7j9q1n3m8c0x4z6b2d1f7h';
const TENANT = '4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11';
const ENTRA_CLIENT = '0b6f2a4c-8d1e-4f3a-9c2b-7e5d1a0f6c33';
const ENTRA = entraIssuer(TENANT, '2.0');
const PARTNER = '7d2e9a10-3c4b-4f5e-8a6d-1b2c3d4e5f60';
const STRANGER = 'c0ffee00-1234-4abc-9def-0123456789ab';
const AS = 'https://as.corp.example';
const KEYCLOAK = 'https://sso.corp.example/realms/corp';
const DISCOVERED = 'https://sso.corp.example/realms/ops';
const MIXUP = 'https://sso.corp.example/realms/payments';

describe('POST /v1/decide: identity provider token shapes', () => {
  let svc: TestService;
  let docs: DocumentServer;
  const servers: JwksServer[] = [];
  const serve = async (jwks: unknown) => {
    const server = await startJwksServer(jwks);
    servers.push(server);
    return server.url;
  };

  /** Serves a Keycloak realm's discovery document and key set on loopback; returns its discovery_url. */
  const discoverable = (realm: string, issuer: string) => {
    const published = keycloakDiscovery('sso.corp.example', realm);
    const discoveryUrl = `${docs.origin}/realms/${realm}/.well-known/openid-configuration`;
    const jwksUri = `${docs.origin}/realms/${realm}/protocol/openid-connect/certs`;
    docs.serve(discoveryUrl, { json: { ...published.document, issuer, jwks_uri: jwksUri } });
    docs.serve(jwksUri, { json: buildJwks(publicJwk(rsa.publicKey, { kid: 'kc-1', alg: 'RS256' })) });
    return discoveryUrl;
  };

  beforeAll(async () => {
    docs = await startDocumentServer();
    const x509 = generateEcKeyPair('P-256');
    const issuers: IssuerConfig[] = [
      {
        issuer: SPIRE,
        audiences: ['modelgate'],
        algorithms: ['ES256'],
        jwks_url: await serve(spiffeBundle(x509.publicKey, [{ key: ec.publicKey, kid: 'spire-1' }])),
      },
      {
        issuer: TRUST_DOMAIN,
        audiences: ['modelgate'],
        algorithms: ['ES256'],
        jwks_url: await serve(spiffeBundle(x509.publicKey, [{ key: ec.publicKey, kid: 'spire-2' }])),
      },
      {
        issuer: COGNITO,
        audiences: [COGNITO_CLIENT],
        algorithms: ['RS256'],
        audience_claim: 'client_id',
        jwks_url: await serve(
          buildJwks(publicJwk(rsa.publicKey, { kid: 'cog-1', alg: 'RS256', use: 'sig' })),
        ),
      },
      {
        issuer: ENTRA,
        audiences: [ENTRA_CLIENT],
        algorithms: ['RS256'],
        scope_claims: ['scp', 'roles'],
        allowed_scopes: ['invoke:*'],
        jwks_url: await serve(buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'entra-1' }))),
      },
      {
        issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
        tenants: [PARTNER],
        audiences: [ENTRA_CLIENT],
        algorithms: ['RS256'],
        jwks_url: await serve(buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'entra-1' }))),
      },
      {
        issuer: AS,
        audiences: ['modelgate'],
        algorithms: ['RS256'],
        token_types: ['at+jwt'],
        jwks_url: await serve(buildJwks(publicJwk(rsa.publicKey, { kid: 'as-1' }))),
      },
      {
        issuer: KEYCLOAK,
        audiences: ['modelgate'],
        algorithms: ['RS256'],
        required_claims: { typ: 'Bearer', azp: ['ci-bot', 'modelgate'] },
        jwks_url: await serve(buildJwks(publicJwk(rsa.publicKey, { kid: 'kc-sig', use: 'sig' }))),
      },
      {
        issuer: DISCOVERED,
        audiences: ['modelgate'],
        algorithms: ['RS256'],
        discovery_url: discoverable('ops', DISCOVERED),
      },
      {
        issuer: MIXUP,
        audiences: ['modelgate'],
        algorithms: ['RS256'],
        // The payments realm's document names the ops realm: a mix-up, refused.
        discovery_url: discoverable('payments', DISCOVERED),
      },
    ];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-idp-'));
    svc = await startTestService({
      issuers,
      baseDir: dir,
      audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
    });
  });
  afterAll(async () => {
    await svc.close();
    await Promise.all([...servers.map((s) => s.close()), docs.close()]);
  });

  /** Decides with a token and returns the reply and the policy input's subject as the audit log recorded it. */
  async function decide(token: string) {
    const res = await svc.post('/v1/decide', body, token);
    const row = auditRow(svc.db, res.body.decision_id as string);
    const input = row?.record.input as { subject?: Record<string, unknown> } | undefined;
    return { res, row, subject: input?.subject };
  }

  it('decides for a SPIFFE JWT-SVID whose key the bundle marks jwt-svid', async () => {
    const id = 'spiffe://corp.example/ns/ci/sa/build';
    const shape = spiffeJwtSvid({ issuer: SPIRE, audience: 'modelgate', kid: 'spire-1' }, id);
    const { res, row, subject } = await decide(signToken({ ...shape, key: ec.privateKey }));
    expect(res.status).toBe(200);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(row).toMatchObject({ subject: id, status: 200 });
    expect(subject).toMatchObject({ id, issuer: SPIRE, audience: ['modelgate'], scopes: [] });
  });

  it('decides for a JWT-SVID without iss by its trust domain, recorded as its issuer', async () => {
    const id = 'spiffe://workloads.corp.example/ns/batch/sa/summarizer';
    const shape = spiffeJwtSvid({ issuer: TRUST_DOMAIN, audience: 'modelgate', kid: 'spire-2' }, id);
    delete shape.claims.iss;
    const { res, row, subject } = await decide(signToken({ ...shape, key: ec.privateKey }));
    expect(res.status).toBe(200);
    expect(row).toMatchObject({ subject: id, status: 200 });
    expect(row!.record.issuer).toBe(TRUST_DOMAIN);
    expect(subject).toMatchObject({ id, issuer: TRUST_DOMAIN });
    // Another trust domain's workload, signed by the same key, finds no entry.
    const stranger = spiffeJwtSvid(
      { issuer: TRUST_DOMAIN, audience: 'modelgate', kid: 'spire-2' },
      'spiffe://x.example/a',
    );
    delete stranger.claims.iss;
    const refused = await decide(signToken({ ...stranger, key: ec.privateKey }));
    expect(refused.res.status).toBe(401);
    expect(refused.row).toMatchObject({ outcome: 'rejected', status: 401, subject: null });
    expect(refused.row!.record).toMatchObject({ reasons: ['issuer_unknown'] });
  });

  it('decides for a Cognito access token, its client_id the audience the policy sees', async () => {
    const base = { issuer: COGNITO, audience: 'unused', kid: 'cog-1', clientId: COGNITO_CLIENT };
    const { res, row, subject } = await decide(
      signToken({ ...cognitoToken(base, 'access'), key: rsa.privateKey }),
    );
    expect(res.status).toBe(200);
    expect(row).toMatchObject({ subject: COGNITO_CLIENT, status: 200 });
    expect(subject).toMatchObject({ audience: [COGNITO_CLIENT], scopes: ['modelgate/invoke'] });
  });

  it('refuses a Cognito ID token with 401 audience_invalid, WWW-Authenticate and a record', async () => {
    const base = { issuer: COGNITO, audience: 'unused', kid: 'cog-1', clientId: COGNITO_CLIENT };
    const { res, row } = await decide(signToken({ ...cognitoToken(base, 'id'), key: rsa.privateKey }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="audience_invalid"',
    );
    expect(res.body).toMatchObject({ allow: false, reasons: [{ code: 'audience_invalid' }] });
    // The caller learns what its token lacks (an ID token has no client_id), never the accepted audiences.
    expect((res.body.reasons as { message: string }[])[0]!.message).toBe(
      'token has no client_id claim naming an accepted audience',
    );
    expect(row).toMatchObject({ outcome: 'rejected', status: 401, subject: null });
  });

  it("grants an Entra app-only token's roles as scopes, within allowed_scopes", async () => {
    const base = {
      issuer: ENTRA,
      audience: ENTRA_CLIENT,
      kid: 'entra-1',
      tenantId: TENANT,
      clientId: ENTRA_CLIENT,
    };
    const shape = entraAccessToken(base, '2.0', { roles: ['invoke:chat', 'modelgate:audit'] });
    const { res, subject } = await decide(signToken({ ...shape, key: rsa.privateKey }));
    expect(res.status).toBe(200);
    expect(subject).toMatchObject({ issuer: ENTRA, audience: [ENTRA_CLIENT], scopes: ['invoke:chat'] });
    // The record keeps the roles the token granted, as they are, and the user's object id as a hash.
    expect(subject?.claims).toMatchObject({
      roles: ['invoke:chat', 'modelgate:audit'],
      oid: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });

  it("decides for a listed tenant of a multi-tenant Entra app, recording the token's own iss", async () => {
    const token = (tenant: string) => {
      const issuer = entraIssuer(tenant, '2.0');
      const base = {
        issuer,
        audience: ENTRA_CLIENT,
        kid: 'entra-1',
        tenantId: tenant,
        clientId: ENTRA_CLIENT,
      };
      return signToken({ ...entraAccessToken(base, '2.0', { scp: 'invoke.chat' }), key: rsa.privateKey });
    };
    const accepted = await decide(token(PARTNER));
    expect(accepted.res.status).toBe(200);
    expect(accepted.subject).toMatchObject({ issuer: entraIssuer(PARTNER, '2.0'), audience: [ENTRA_CLIENT] });
    expect(accepted.row!.record.issuer).toBe(entraIssuer(PARTNER, '2.0'));
    // The same app, key and shape from a tenant the template does not list.
    const { res, row } = await decide(token(STRANGER));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="issuer_unknown"',
    );
    expect(res.body).toMatchObject({ allow: false, reasons: [{ code: 'issuer_unknown' }] });
    expect((res.body.reasons as { message: string }[])[0]!.message).toBe(
      `token issuer "${entraIssuer(STRANGER, '2.0')}" is not trusted`,
    );
    expect(row).toMatchObject({ outcome: 'rejected', status: 401, subject: null });
    expect(row!.record).toMatchObject({ issuer: null, reasons: ['issuer_unknown'] });
  });

  it('decides for an RFC 9068 at+jwt token and refuses the same token typed JWT with 401 token_type_invalid', async () => {
    const shape = rfc9068AccessToken(
      { issuer: AS, audience: 'modelgate', kid: 'as-1' },
      'user:alice',
      'invoke:chat',
    );
    const accepted = await decide(signToken({ ...shape, key: rsa.privateKey }));
    expect(accepted.res.status).toBe(200);
    expect(accepted.subject).toMatchObject({ id: 'user:alice', scopes: ['invoke:chat'] });
    const { res, row } = await decide(
      signToken({ header: { ...shape.header, typ: 'JWT' }, claims: shape.claims, key: rsa.privateKey }),
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="token_type_invalid"',
    );
    expect(res.body).toMatchObject({ allow: false, reasons: [{ code: 'token_type_invalid' }] });
    expect(row).toMatchObject({ outcome: 'rejected', status: 401, subject: null });
    expect(row!.record.reasons).toEqual(['token_type_invalid']);
  });

  it('refuses a Keycloak ID token with 401 claim_invalid, recorded without its claims', async () => {
    const base = { issuer: KEYCLOAK, audience: 'modelgate', kid: 'kc-sig' };
    const access = keycloakAccessToken(base, 'ci-bot', { realm: ['invoker'], resource: {} });
    const accepted = await decide(signToken({ ...access, key: rsa.privateKey }));
    // Precondition: the realm's access token of an allowed client is a credential.
    expect(accepted.res.status).toBe(200);
    expect(accepted.subject).toMatchObject({ issuer: KEYCLOAK, audience: ['modelgate', 'account'] });
    const idToken = keycloakIdToken(base, 'modelgate');
    const { res, row } = await decide(signToken({ ...idToken, key: rsa.privateKey }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="claim_invalid"',
    );
    expect(res.body).toMatchObject({
      allow: false,
      reasons: [{ code: 'claim_invalid', message: expect.stringContaining('typ') }],
    });
    expect(row).toMatchObject({ outcome: 'rejected', status: 401, subject: null });
    expect(row!.record.reasons).toEqual(['claim_invalid']);
    // Neither the reply nor the record holds what the refused token said about its user.
    for (const text of [JSON.stringify(res.body), JSON.stringify(row!.record)]) {
      expect(text).not.toContain(idToken.claims.email as string);
      expect(text).not.toContain(idToken.claims.sub as string);
    }
  });

  it('refuses a DPoP proof presented as a bearer token with 401 token_type_invalid, recorded', async () => {
    const shape = spiffeJwtSvid(
      { issuer: SPIRE, audience: 'modelgate', kid: 'spire-1' },
      'spiffe://corp.example/x',
    );
    const { res, row } = await decide(
      signToken({ header: { ...shape.header, typ: 'dpop+jwt' }, claims: shape.claims, key: ec.privateKey }),
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="token_type_invalid"',
    );
    expect(row).toMatchObject({ outcome: 'rejected', status: 401 });
  });

  it('decides for a Keycloak token whose keys come through discovery_url', async () => {
    const shape = keycloakAccessToken({ issuer: DISCOVERED, audience: 'modelgate', kid: 'kc-1' }, 'ci-bot', {
      realm: ['invoker'],
      resource: {},
    });
    const { res, row, subject } = await decide(signToken({ ...shape, key: rsa.privateKey }));
    expect(res.status).toBe(200);
    expect(row).toMatchObject({ status: 200 });
    expect(subject).toMatchObject({ issuer: DISCOVERED, audience: ['modelgate', 'account'] });
  });

  it('answers 503 keys_unavailable, recorded, when the discovery document names another issuer', async () => {
    const shape = keycloakAccessToken({ issuer: MIXUP, audience: 'modelgate', kid: 'kc-1' }, 'ci-bot', {
      realm: ['invoker'],
      resource: {},
    });
    const { res, row } = await decide(signToken({ ...shape, key: rsa.privateKey }));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ allow: false, reasons: [{ code: 'keys_unavailable' }] });
    expect(row).toMatchObject({ status: 503 });
    expect(row!.record.reasons).toEqual(['keys_unavailable']);
    expect(docs.hits(`${docs.origin}/realms/payments/protocol/openid-connect/certs`)).toBe(0);
  });
});
