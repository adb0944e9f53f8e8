/**
 * Tokens as real identity providers issue them, verified against key sets served the way those providers
 * serve them: what a platform team sees when it points modelgate at its IdP, and what `input.subject` holds.
 */
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type StartableTokenVerifier } from '../../src/identity';
import type { IssuerConfig } from '../../src/schemas/issuer-config.schema';
import {
  auth0Discovery,
  cognitoDiscovery,
  entraDiscovery,
  githubActionsDiscovery,
  googleDiscovery,
  keycloakDiscovery,
  oktaDiscovery,
  rfc8414Discovery,
  type PublishedDiscovery,
} from '../helpers/discovery-documents';
import { startDocumentServer, type DocumentServer } from '../helpers/document-server';
import {
  auth0ClientCredentials,
  auth0UserToken,
  cognitoToken,
  entraAccessToken,
  entraIssuer,
  githubActions,
  googleServiceAccount,
  jwkWithCertificate,
  keycloakAccessToken,
  keycloakIdToken,
  kubernetesServiceAccount,
  oktaAccessToken,
  rfc9068AccessToken,
  spiffeBundle,
  spiffeJwtSvid,
  tokenExchangeResult,
  type TokenShape,
} from '../helpers/idp-shapes';
import {
  buildJwks,
  generateEcKeyPair,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  startJwksServer,
  type JwksServer,
} from '../helpers/tokens';

const rsa = generateRsaKeyPair();
const ec = generateEcKeyPair('P-256');
const servers: JwksServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A verifier for one issuer entry whose keys a real JWKS server on 127.0.0.1 serves. */
async function verifierServing(
  jwks: unknown,
  entry: Omit<IssuerConfig, 'jwks_url'> & Record<string, unknown>,
): Promise<StartableTokenVerifier> {
  const server = await startJwksServer(jwks);
  servers.push(server);
  const issuers = loadTrustedIssuers([{ ...entry, jwks_url: server.url }], { baseDir: __dirname });
  return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
}

const signed = (shape: TokenShape, key = rsa.privateKey) => signToken({ ...shape, key });

describe('Kubernetes projected service-account tokens', () => {
  const issuer = 'https://oidc.eks.eu-west-1.amazonaws.com/id/' + 'C0FFEE'.repeat(5);

  it.each([
    ['RS256', rsa],
    ['ES256', ec],
  ] as const)('accepts a %s token with aud an array and the kubernetes.io claim', async (alg, pair) => {
    const verifier = await verifierServing(
      buildJwks(publicJwk(pair.publicKey, { kid: 'sa-1', alg, use: 'sig' })),
      {
        issuer,
        audiences: ['modelgate'],
        algorithms: [alg],
      },
    );
    const shape = kubernetesServiceAccount(
      { issuer, audience: 'modelgate', kid: 'sa-1' },
      'payments',
      'build-bot',
    );
    shape.header.alg = alg;
    const { subject } = await verifier.verify(signed(shape, pair.privateKey));
    expect(subject).toMatchObject({
      id: 'system:serviceaccount:payments:build-bot',
      issuer,
      audience: ['modelgate'],
      scopes: [],
      actor: null,
      claims: { 'kubernetes.io': { namespace: 'payments', serviceaccount: { name: 'build-bot' } } },
    });
  });

  it('refuses a token minted for the API server audience with audience_invalid', async () => {
    const verifier = await verifierServing(buildJwks(publicJwk(rsa.publicKey, { kid: 'sa-1' })), {
      issuer,
      audiences: ['modelgate'],
      algorithms: ['RS256'],
    });
    const shape = kubernetesServiceAccount(
      { issuer, audience: 'https://kubernetes.default.svc', kid: 'sa-1' },
      'a',
      'b',
    );
    const refused = verifier.verify(signed(shape));
    await expect(refused).rejects.toMatchObject({ code: 'audience_invalid' });
    await expect(refused).rejects.toThrow(
      'token aud ["https://kubernetes.default.svc"] is not accepted by this issuer',
    );
  });
});

describe('SPIFFE JWT-SVIDs', () => {
  const issuer = 'https://oidc.spire.corp.example';
  const x509Authority = generateEcKeyPair('P-256');
  const bundle = spiffeBundle(x509Authority.publicKey, [{ key: ec.publicKey, kid: 'jwt-authority-1' }]);
  const entry = { issuer, audiences: ['modelgate'], algorithms: ['ES256'] as const };

  it('accepts a JWT-SVID whose key the SPIFFE bundle marks use: jwt-svid', async () => {
    const verifier = await verifierServing(bundle, { ...entry, algorithms: ['ES256'] });
    const shape = spiffeJwtSvid(
      { issuer, audience: 'modelgate', kid: 'jwt-authority-1' },
      'spiffe://corp.example/ns/ci/sa/build',
    );
    const { subject } = await verifier.verify(signed(shape, ec.privateKey));
    expect(subject).toMatchObject({ id: 'spiffe://corp.example/ns/ci/sa/build', audience: ['modelgate'] });
  });

  it('never verifies a JWT with the bundle key marked use: x509-svid', async () => {
    // Named by a kid here so that a token can ask for it; SPIRE usually publishes it without one.
    const [x509Key, ...jwtKeys] = bundle.keys;
    const named = { ...bundle, keys: [{ ...x509Key, kid: 'x509-ca' }, ...jwtKeys] };
    const verifier = await verifierServing(named, { ...entry, algorithms: ['ES256'] });
    // Precondition: the bundle's JWT authority verifies.
    const good = spiffeJwtSvid(
      { issuer, audience: 'modelgate', kid: 'jwt-authority-1' },
      'spiffe://corp.example/a',
    );
    await expect(verifier.verify(signed(good, ec.privateKey))).resolves.toBeDefined();
    const shape = spiffeJwtSvid({ issuer, audience: 'modelgate', kid: 'x509-ca' }, 'spiffe://corp.example/a');
    await expect(verifier.verify(signed(shape, x509Authority.privateKey))).rejects.toMatchObject({
      code: 'key_unknown',
    });
  });
});

describe('SPIFFE JWT-SVIDs without iss (SPIRE without jwt_issuer)', () => {
  const trustDomain = 'spiffe://corp.example';
  const bundle = spiffeBundle(generateEcKeyPair('P-256').publicKey, [
    { key: ec.publicKey, kid: 'jwt-authority-1' },
  ]);
  const entry = { issuer: trustDomain, audiences: ['modelgate'], algorithms: ['ES256'] as ['ES256'] };
  const withoutIss = (spiffeId: string) => {
    const shape = spiffeJwtSvid(
      { issuer: trustDomain, audience: 'modelgate', kid: 'jwt-authority-1' },
      spiffeId,
    );
    delete shape.claims.iss;
    return shape;
  };

  it('chooses the issuer entry named by the trust domain of sub, and reports it as the issuer', async () => {
    const verifier = await verifierServing(bundle, entry);
    const { subject } = await verifier.verify(
      signed(withoutIss('spiffe://corp.example/ns/ci/sa/build'), ec.privateKey),
    );
    expect(subject).toMatchObject({ id: 'spiffe://corp.example/ns/ci/sa/build', issuer: trustDomain });
    expect(subject.claims).not.toHaveProperty('iss');
  });

  it('refuses one whose sub names another trust domain, or is no SPIFFE id', async () => {
    const verifier = await verifierServing(bundle, entry);
    for (const sub of [
      'spiffe://other.example/ns/ci',
      'spiffe://corp.example',
      'user:alice',
      'spiffe://CORP.example/a',
    ]) {
      await expect(verifier.verify(signed(withoutIss(sub), ec.privateKey))).rejects.toMatchObject({
        code: 'issuer_unknown',
      });
    }
  });

  it('keeps choosing by iss when the token has one: a trust-domain entry does not take in other issuers', async () => {
    const verifier = await verifierServing(bundle, entry);
    const shape = withoutIss('spiffe://corp.example/a');
    shape.claims.iss = 'https://attacker.example';
    await expect(verifier.verify(signed(shape, ec.privateKey))).rejects.toMatchObject({
      code: 'issuer_unknown',
    });
  });

  // A federated trust domain's signing keys vouch for its own workloads only (JWT-SVID: the bundle of the sub's
  // trust domain verifies it). With iss set to its own entry, the other domain must not speak for ours either.
  it('refuses a token whose iss names a trust-domain entry but whose sub is in another trust domain', async () => {
    const partner = 'spiffe://partner.example';
    const verifier = await verifierServing(bundle, { ...entry, issuer: partner });
    const withIss = (sub: string) => {
      const shape = withoutIss(sub);
      shape.claims.iss = partner;
      return signed(shape, ec.privateKey);
    };
    // Precondition: the partner's own workloads pass, with iss and without.
    await expect(verifier.verify(withIss('spiffe://partner.example/ns/etl'))).resolves.toMatchObject({
      subject: { id: 'spiffe://partner.example/ns/etl', issuer: partner },
    });
    await expect(
      verifier.verify(signed(withoutIss('spiffe://partner.example/ns/etl'), ec.privateKey)),
    ).resolves.toBeDefined();
    for (const sub of ['spiffe://corp.example/ns/payments/sa/admin', 'spiffe://partner.example', 'admin']) {
      await expect(verifier.verify(withIss(sub))).rejects.toMatchObject({ code: 'issuer_unknown' });
    }
  });

  it('does not choose an https issuer entry for a token without iss', async () => {
    const verifier = await verifierServing(bundle, { ...entry, issuer: 'https://oidc.spire.corp.example' });
    await expect(
      verifier.verify(signed(withoutIss('spiffe://corp.example/a'), ec.privateKey)),
    ).rejects.toMatchObject({ code: 'issuer_unknown' });
  });
});

describe('GitHub Actions OIDC tokens', () => {
  const issuer = 'https://token.actions.githubusercontent.com';

  it('accepts a workflow token against a key set with x5c and x5t, and keeps its custom claims', async () => {
    const verifier = await verifierServing(
      buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'gh-1', alg: 'RS256' })),
      {
        issuer,
        audiences: ['https://github.com/corp', 'modelgate'],
        algorithms: ['RS256'],
      },
    );
    const shape = githubActions(
      { issuer, audience: 'modelgate', kid: 'gh-1' },
      'corp/payments',
      'refs/heads/main',
    );
    const { subject } = await verifier.verify(signed(shape));
    expect(subject).toMatchObject({
      id: 'repo:corp/payments:ref:refs/heads/main',
      audience: ['modelgate'],
      scopes: [],
      claims: {
        repository: 'corp/payments',
        repository_owner: 'corp',
        ref_protected: 'true',
        event_name: 'push',
      },
    });
  });
});

describe('Okta access tokens', () => {
  const issuer = 'https://corp.okta.com/oauth2/default';

  it('accepts an Okta token whose scp claim is an array', async () => {
    const verifier = await verifierServing(
      buildJwks(publicJwk(rsa.publicKey, { kid: 'okta-1', alg: 'RS256', use: 'sig' })),
      {
        issuer,
        audiences: ['api://modelgate'],
        algorithms: ['RS256'],
      },
    );
    const shape = oktaAccessToken(
      { issuer, audience: 'api://modelgate', kid: 'okta-1' },
      'alice@corp.example',
      ['invoke:chat', 'openid'],
    );
    const { subject } = await verifier.verify(signed(shape));
    expect(subject.scopes).toEqual(['invoke:chat', 'openid']);
    expect(subject.claims).toMatchObject({ cid: expect.any(String), uid: expect.any(String), ver: 1 });
  });

  it('refuses a token of an application not in the cid allowlist with claim_invalid', async () => {
    const base = { issuer, audience: 'api://modelgate', kid: 'okta-1' };
    const allowed = oktaAccessToken(base, 'ci@corp.example', ['invoke:chat']);
    const verifier = await verifierServing(
      buildJwks(publicJwk(rsa.publicKey, { kid: 'okta-1', alg: 'RS256', use: 'sig' })),
      {
        issuer,
        audiences: ['api://modelgate'],
        algorithms: ['RS256'],
        required_claims: { cid: [allowed.claims.cid as string] },
      },
    );
    await expect(verifier.verify(signed(allowed))).resolves.toBeDefined();
    const another = oktaAccessToken(base, 'ci@corp.example', ['invoke:chat']);
    await expect(verifier.verify(signed(another))).rejects.toMatchObject({ code: 'claim_invalid' });
  });
});

describe('Entra ID (Azure AD) access tokens', () => {
  const tenantId = '4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11';
  const clientId = '0b6f2a4c-8d1e-4f3a-9c2b-7e5d1a0f6c33';
  // Entra publishes its keys without alg, with x5t and x5c.
  const jwks = buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'entra-1' }));

  it("splits a v2 token's space-separated scp into scopes", async () => {
    const issuer = entraIssuer(tenantId, '2.0');
    const verifier = await verifierServing(jwks, { issuer, audiences: [clientId], algorithms: ['RS256'] });
    const shape = entraAccessToken(
      { issuer, audience: clientId, kid: 'entra-1', tenantId, clientId },
      '2.0',
      { scp: 'invoke.chat invoke.codegen' },
    );
    const { subject } = await verifier.verify(signed(shape));
    expect(subject).toMatchObject({
      issuer,
      audience: [clientId],
      scopes: ['invoke.chat', 'invoke.codegen'],
    });
    expect(subject.claims).toMatchObject({ ver: '2.0', azp: clientId, tid: tenantId });
  });

  it('accepts a v1 token from the sts.windows.net issuer with an api:// audience', async () => {
    const issuer = entraIssuer(tenantId, '1.0');
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: ['api://modelgate'],
      algorithms: ['RS256'],
    });
    const shape = entraAccessToken(
      { issuer, audience: 'api://modelgate', kid: 'entra-1', tenantId, clientId },
      '1.0',
      { scp: 'invoke.chat' },
    );
    const { subject } = await verifier.verify(signed(shape));
    expect(subject).toMatchObject({
      issuer,
      scopes: ['invoke.chat'],
      claims: { ver: '1.0', appid: clientId },
    });
  });

  it("grants an app-only token's roles as scopes when the issuer lists roles in scope_claims", async () => {
    const issuer = entraIssuer(tenantId, '2.0');
    const base = { issuer, audience: clientId, kid: 'entra-1', tenantId, clientId };
    const token = signed(entraAccessToken(base, '2.0', { roles: ['Invoke.All'] }));
    const plain = await verifierServing(jwks, { issuer, audiences: [clientId], algorithms: ['RS256'] });
    // Precondition: by default only scope and scp name scopes, so the roles stay claims.
    expect((await plain.verify(token)).subject.scopes).toEqual([]);
    const withRoles = await verifierServing(jwks, {
      issuer,
      audiences: [clientId],
      algorithms: ['RS256'],
      scope_claims: ['scp', 'roles'],
    });
    const { subject } = await withRoles.verify(token);
    expect(subject.scopes).toEqual(['Invoke.All']);
    expect(subject.claims).toMatchObject({ idtyp: 'app', roles: ['Invoke.All'] });
  });
});

describe('Entra ID multi-tenant apps: an issuer template and a tenant allowlist', () => {
  const home = '4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11';
  const partner = '7d2e9a10-3c4b-4f5e-8a6d-1b2c3d4e5f60';
  const stranger = 'c0ffee00-1234-4abc-9def-0123456789ab';
  const clientId = '0b6f2a4c-8d1e-4f3a-9c2b-7e5d1a0f6c33';
  const V2 = 'https://login.microsoftonline.com/{tenantid}/v2.0';
  const V1 = 'https://sts.windows.net/{tenantid}/';
  // One key set signs every tenant's tokens: the common endpoint's.
  const jwks = buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'entra-1' }));
  const entry = { audiences: [clientId], algorithms: ['RS256'] as ['RS256'] };

  /** Returns a verifier for several issuer entries whose keys one real JWKS server serves. */
  async function verifierFor(...entries: Record<string, unknown>[]): Promise<StartableTokenVerifier> {
    const server = await startJwksServer(jwks);
    servers.push(server);
    const issuers = loadTrustedIssuers(
      entries.map((e) => ({ ...e, jwks_url: server.url })),
      { baseDir: __dirname },
    );
    return createTokenVerifier(issuers, { logger: pino({ level: 'silent' }) });
  }

  /** A v2 (or v1) access token of `tenant`, whose iss and tid name it unless overridden. */
  const tokenOf = (tenant: string, version: '1.0' | '2.0' = '2.0', claims: Record<string, unknown> = {}) => {
    const issuer = entraIssuer(tenant, version);
    const base = { issuer, audience: clientId, kid: 'entra-1', tenantId: tenant, clientId };
    const shape = entraAccessToken(base, version, { scp: 'invoke.chat' });
    Object.assign(shape.claims, claims);
    return signed(shape);
  };

  it("accepts each listed tenant's tokens, and the subject's issuer is the token's own iss", async () => {
    const verifier = await verifierFor({ ...entry, issuer: V2, tenants: [home, partner] });
    for (const tenant of [home, partner]) {
      const { subject } = await verifier.verify(tokenOf(tenant));
      expect(subject).toMatchObject({
        issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
        audience: [clientId],
        scopes: ['invoke.chat'],
        claims: { tid: tenant, iss: `https://login.microsoftonline.com/${tenant}/v2.0` },
      });
    }
  });

  it('refuses a token of a tenant off the list, signed by the same keys, with issuer_unknown', async () => {
    const verifier = await verifierFor({ ...entry, issuer: V2, tenants: [home, partner] });
    // Precondition: the same token shape and key from a listed tenant verifies.
    await expect(verifier.verify(tokenOf(partner))).resolves.toBeDefined();
    await expect(verifier.verify(tokenOf(stranger))).rejects.toMatchObject({
      code: 'issuer_unknown',
      status: 401,
    });
    // Nor is the template itself an issuer.
    await expect(verifier.verify(tokenOf(partner, '2.0', { iss: V2 }))).rejects.toMatchObject({
      code: 'issuer_unknown',
    });
  });

  it('refuses a token whose tid is not the tenant its iss names, or that has no tid, with issuer_unknown', async () => {
    const verifier = await verifierFor({ ...entry, issuer: V2, tenants: [home, partner] });
    await expect(verifier.verify(tokenOf(home, '2.0', { tid: partner }))).rejects.toMatchObject({
      code: 'issuer_unknown',
    });
    await expect(verifier.verify(tokenOf(home, '2.0', { tid: undefined }))).rejects.toMatchObject({
      code: 'issuer_unknown',
    });
  });

  it('accepts v1 tokens with the sts.windows.net template', async () => {
    const verifier = await verifierFor({ ...entry, issuer: V1, tenants: [partner] });
    const { subject } = await verifier.verify(tokenOf(partner, '1.0'));
    expect(subject.issuer).toBe(`https://sts.windows.net/${partner}/`);
    await expect(verifier.verify(tokenOf(partner, '2.0'))).rejects.toMatchObject({ code: 'issuer_unknown' });
  });

  it.each([
    ['after', (exact: object, template: object) => [template, exact]],
    ['before', (exact: object, template: object) => [exact, template]],
  ])("lets an exact entry listed %s the template decide its tenant's tokens", async (_, order) => {
    const exact = { issuer: entraIssuer(home, '2.0'), audiences: ['api://home-only'], algorithms: ['RS256'] };
    const template = { ...entry, issuer: V2, tenants: [home, partner] };
    const verifier = await verifierFor(...(order(exact, template) as Record<string, unknown>[]));
    // The template's audience serves the partner, but not the home tenant, whose exact entry names another.
    await expect(verifier.verify(tokenOf(partner))).resolves.toBeDefined();
    await expect(verifier.verify(tokenOf(home))).rejects.toMatchObject({ code: 'audience_invalid' });
  });
});

describe('Auth0 access tokens', () => {
  const issuer = 'https://corp.eu.auth0.com/';
  const jwks = buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'auth0-1', alg: 'RS256' }));

  it('accepts a client-credentials token: sub <client>@clients, scope a string', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: ['https://modelgate.corp.example'],
      algorithms: ['RS256'],
    });
    const shape = auth0ClientCredentials(
      { issuer, audience: 'https://modelgate.corp.example', kid: 'auth0-1' },
      'Zx81client',
      ['invoke:chat'],
    );
    const { subject } = await verifier.verify(signed(shape));
    expect(subject).toMatchObject({
      id: 'Zx81client@clients',
      scopes: ['invoke:chat'],
      claims: { gty: 'client-credentials' },
    });
  });

  it('takes scopes from permissions when the issuer names it in scope_claims', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: ['https://modelgate.corp.example'],
      algorithms: ['RS256'],
      scope_claims: ['permissions'],
    });
    const shape = auth0UserToken({ issuer, audience: 'https://modelgate.corp.example', kid: 'auth0-1' }, [
      'invoke:chat',
      'invoke:tools',
    ]);
    const { subject } = await verifier.verify(signed(shape));
    // The OIDC scopes (openid profile email) are not permissions on the API.
    expect(subject.scopes).toEqual(['invoke:chat', 'invoke:tools']);
    expect(subject.audience).toEqual(['https://modelgate.corp.example', `${issuer}userinfo`]);
  });

  it('refuses a client-credentials token of a client not in the azp allowlist with claim_invalid', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: ['https://modelgate.corp.example'],
      algorithms: ['RS256'],
      required_claims: { azp: ['Zx81client'], gty: 'client-credentials' },
    });
    const base = { issuer, audience: 'https://modelgate.corp.example', kid: 'auth0-1' };
    const mine = auth0ClientCredentials(base, 'Zx81client', ['invoke:chat']);
    await expect(verifier.verify(signed(mine))).resolves.toBeDefined();
    const theirs = auth0ClientCredentials(base, 'Qq42other', ['invoke:chat']);
    await expect(verifier.verify(signed(theirs))).rejects.toMatchObject({ code: 'claim_invalid' });
    // A user token of an allowed client is not a client-credentials grant.
    const user = auth0UserToken(base, ['invoke:chat']);
    user.claims.azp = 'Zx81client';
    await expect(verifier.verify(signed(user))).rejects.toMatchObject({ code: 'claim_invalid' });
  });
});

describe('Keycloak access tokens', () => {
  const issuer = 'https://sso.corp.example/realms/corp';

  it('accepts a token from a key set that also publishes an encryption key, with realm and client roles as claims', async () => {
    const enc = generateRsaKeyPair();
    const jwks = buildJwks(
      publicJwk(enc.publicKey, { kid: 'kc-enc', alg: 'RSA-OAEP', use: 'enc' }),
      publicJwk(rsa.publicKey, { kid: 'kc-sig', alg: 'RS256', use: 'sig' }),
    );
    const verifier = await verifierServing(jwks, { issuer, audiences: ['modelgate'], algorithms: ['RS256'] });
    const shape = keycloakAccessToken({ issuer, audience: 'modelgate', kid: 'kc-sig' }, 'ci-bot', {
      realm: ['offline_access', 'invoker'],
      resource: { modelgate: ['chat'] },
    });
    const { subject } = await verifier.verify(signed(shape));
    expect(subject).toMatchObject({
      audience: ['modelgate', 'account'],
      scopes: ['profile', 'email'],
      claims: { typ: 'Bearer', azp: 'ci-bot', realm_access: { roles: ['offline_access', 'invoker'] } },
    });
  });

  it('refuses an ID token of a client the audience names with claim_invalid when typ Bearer is required', async () => {
    const jwks = buildJwks(publicJwk(rsa.publicKey, { kid: 'kc-sig', alg: 'RS256', use: 'sig' }));
    const entry = { issuer, audiences: ['modelgate'], algorithms: ['RS256'] as ['RS256'] };
    const idToken = signed(keycloakIdToken({ issuer, audience: 'modelgate', kid: 'kc-sig' }, 'modelgate'));
    const plain = await verifierServing(jwks, entry);
    // Precondition: signed by the realm, addressed to the client: without required_claims it is a credential.
    await expect(plain.verify(idToken)).resolves.toBeDefined();
    const verifier = await verifierServing(jwks, { ...entry, required_claims: { typ: 'Bearer' } });
    const access = keycloakAccessToken({ issuer, audience: 'modelgate', kid: 'kc-sig' }, 'ci-bot', {
      realm: [],
      resource: {},
    });
    await expect(verifier.verify(signed(access))).resolves.toBeDefined();
    await expect(verifier.verify(idToken)).rejects.toMatchObject({ code: 'claim_invalid', status: 401 });
  });

  it('accepts only the clients named in an azp allowlist', async () => {
    const jwks = buildJwks(publicJwk(rsa.publicKey, { kid: 'kc-sig', alg: 'RS256', use: 'sig' }));
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: ['modelgate'],
      algorithms: ['RS256'],
      required_claims: { typ: 'Bearer', azp: ['ci-bot', 'support-bot'] },
    });
    const base = { issuer, audience: 'modelgate', kid: 'kc-sig' };
    const roles = { realm: [], resource: {} };
    await expect(verifier.verify(signed(keycloakAccessToken(base, 'ci-bot', roles)))).resolves.toBeDefined();
    // Another client of the realm that was also given the modelgate audience.
    await expect(
      verifier.verify(signed(keycloakAccessToken(base, 'analytics', roles))),
    ).rejects.toMatchObject({ code: 'claim_invalid' });
  });
});

describe('Google service-account tokens', () => {
  it('accepts a metadata-server ID token with email and azp', async () => {
    const issuer = 'https://accounts.google.com';
    const verifier = await verifierServing(
      buildJwks(publicJwk(rsa.publicKey, { kid: 'g-1', alg: 'RS256', use: 'sig' })),
      {
        issuer,
        audiences: ['https://modelgate.corp.example'],
        algorithms: ['RS256'],
      },
    );
    const shape = googleServiceAccount(
      { issuer, audience: 'https://modelgate.corp.example', kid: 'g-1' },
      'bot@proj.iam.gserviceaccount.com',
    );
    const { subject } = await verifier.verify(signed(shape));
    expect(subject.claims).toMatchObject({ email: 'bot@proj.iam.gserviceaccount.com', email_verified: true });
  });
});

describe('Amazon Cognito access tokens', () => {
  const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E';
  const clientId = '5k2v7j9q1n3m8c0x4z6b2d1f7h';
  const jwks = buildJwks(publicJwk(rsa.publicKey, { kid: 'cog-1', alg: 'RS256', use: 'sig' }));
  const base = { issuer, audience: 'unused', kid: 'cog-1', clientId };

  it('refuses an access token, which has no aud, with audience_invalid by default', async () => {
    const verifier = await verifierServing(jwks, { issuer, audiences: [clientId], algorithms: ['RS256'] });
    const refused = verifier.verify(signed(cognitoToken(base, 'access')));
    await expect(refused).rejects.toMatchObject({ code: 'audience_invalid' });
    await expect(refused).rejects.toThrow('token has no aud claim naming an accepted audience');
  });

  it('accepts an access token whose client_id is an audience when audience_claim is client_id', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: [clientId],
      algorithms: ['RS256'],
      audience_claim: 'client_id',
    });
    const { subject } = await verifier.verify(signed(cognitoToken(base, 'access')));
    expect(subject).toMatchObject({ id: clientId, audience: [clientId], scopes: ['modelgate/invoke'] });
  });

  it('refuses an ID token of the same app client when audience_claim is client_id', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: [clientId],
      algorithms: ['RS256'],
      audience_claim: 'client_id',
    });
    await expect(verifier.verify(signed(cognitoToken(base, 'id')))).rejects.toMatchObject({
      code: 'audience_invalid',
    });
  });

  it('with aud as the audience claim, accepts the ID token unless token_use access is required', async () => {
    const entry = { issuer, audiences: [clientId], algorithms: ['RS256'] as ['RS256'] };
    const idToken = signed(cognitoToken(base, 'id'));
    const plain = await verifierServing(jwks, entry);
    // Precondition: an ID token names the app client in aud, so the default audience check passes it.
    await expect(plain.verify(idToken)).resolves.toBeDefined();
    const verifier = await verifierServing(jwks, { ...entry, required_claims: { token_use: 'access' } });
    await expect(verifier.verify(idToken)).rejects.toMatchObject({ code: 'claim_invalid' });
  });

  it('accepts an access token with audience_claim client_id and token_use access required', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: [clientId],
      algorithms: ['RS256'],
      audience_claim: 'client_id',
      required_claims: { token_use: 'access' },
    });
    await expect(verifier.verify(signed(cognitoToken(base, 'access')))).resolves.toBeDefined();
  });

  it('refuses an access token of another app client', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: [clientId],
      algorithms: ['RS256'],
      audience_claim: 'client_id',
    });
    const other = signed(cognitoToken({ ...base, clientId: 'another0client0id0abcdefgh' }, 'access'));
    await expect(verifier.verify(other)).rejects.toMatchObject({ code: 'audience_invalid' });
  });

  it('refuses a token whose client_id is accepted but whose aud names another service', async () => {
    const verifier = await verifierServing(jwks, {
      issuer,
      audiences: [clientId],
      algorithms: ['RS256'],
      audience_claim: 'client_id',
    });
    const shape = cognitoToken(base, 'access');
    // Precondition: the same token without aud is accepted.
    await expect(verifier.verify(signed(shape))).resolves.toBeDefined();
    shape.claims.aud = 'https://other.corp.example';
    await expect(verifier.verify(signed(shape))).rejects.toMatchObject({ code: 'audience_invalid' });
  });
});

describe('RFC 9068 access tokens and the typ header', () => {
  const issuer = 'https://as.corp.example';
  const jwks = buildJwks(publicJwk(rsa.publicKey, { kid: 'as-1', alg: 'RS256' }));
  const entry = { issuer, audiences: ['modelgate'], algorithms: ['RS256'] as ['RS256'] };
  const shape = () =>
    rfc9068AccessToken({ issuer, audience: 'modelgate', kid: 'as-1' }, 'user:alice', 'invoke:chat');
  const withTyp = (typ: string | undefined) => {
    const s = shape();
    if (typ === undefined) delete s.header.typ;
    else s.header.typ = typ;
    return signed(s);
  };

  it.each([['at+jwt'], ['application/at+jwt'], ['JWT'], ['jwt'], ['JOSE'], [undefined]])(
    'accepts typ %s by default',
    async (typ) => {
      const verifier = await verifierServing(jwks, entry);
      const { subject } = await verifier.verify(withTyp(typ));
      expect(subject).toMatchObject({ id: 'user:alice', scopes: ['invoke:chat'] });
    },
  );

  it.each([['dpop+jwt'], ['secevent+jwt'], ['logout+jwt'], ['JWE']])(
    'refuses a token typed %s, meant for something else, with token_type_invalid',
    async (typ) => {
      const verifier = await verifierServing(jwks, entry);
      await expect(verifier.verify(withTyp(typ))).rejects.toMatchObject({
        code: 'token_type_invalid',
        status: 401,
      });
    },
  );

  it('refuses a typ that is not a string with token_type_invalid', async () => {
    const verifier = await verifierServing(jwks, entry);
    const s = shape();
    s.header.typ = ['at+jwt'];
    await expect(verifier.verify(signed(s))).rejects.toMatchObject({ code: 'token_type_invalid' });
  });

  it('with token_types [at+jwt], accepts only tokens typed at+jwt', async () => {
    const verifier = await verifierServing(jwks, { ...entry, token_types: ['at+jwt'] });
    await expect(verifier.verify(withTyp('application/at+jwt'))).resolves.toBeDefined();
    await expect(verifier.verify(withTyp('JWT'))).rejects.toMatchObject({ code: 'token_type_invalid' });
    // An ID token of the same issuer typically has no typ, or JWT: not an access token.
    await expect(verifier.verify(withTyp(undefined))).rejects.toMatchObject({ code: 'token_type_invalid' });
  });
});

describe('RFC 8693 token exchange', () => {
  it('hands the act chain to the policy as actor, and may_act as a claim', async () => {
    const issuer = 'https://sts.corp.example';
    const verifier = await verifierServing(buildJwks(publicJwk(ec.publicKey, { kid: 'sts-1' })), {
      issuer,
      audiences: ['modelgate'],
      algorithms: ['ES256'],
    });
    const shape = tokenExchangeResult(
      { issuer, audience: 'modelgate', kid: 'sts-1' },
      'user:alice',
      ['agent:triage', 'service:orchestrator'],
      'agent:billing',
    );
    const { subject } = await verifier.verify(signed(shape, ec.privateKey));
    expect(subject.actor).toEqual({ sub: 'agent:triage', act: { sub: 'service:orchestrator' } });
    expect(subject.claims.may_act).toEqual({ sub: 'agent:billing' });
  });
});

describe('discovery_url against metadata documents as each provider publishes them', () => {
  const tenantId = '4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11';
  const clientId = '0b6f2a4c-8d1e-4f3a-9c2b-7e5d1a0f6c33';
  const cognitoClient = '5k2v7j9q1n3m8c0x4z6b2d1f7h';
  const sigJwks = (kid: string) => buildJwks(publicJwk(rsa.publicKey, { kid, alg: 'RS256', use: 'sig' }));
  let docs: DocumentServer | undefined;

  afterEach(async () => {
    await docs?.close();
    docs = undefined;
  });

  /** Serves the document and the key set at the URLs the provider uses; every host is routed to 127.0.0.1. */
  async function verifierDiscovering(
    published: PublishedDiscovery,
    jwks: unknown,
    entry: Omit<IssuerConfig, 'issuer' | 'discovery_url'> & Record<string, unknown>,
  ): Promise<{ verifier: StartableTokenVerifier; docs: DocumentServer }> {
    docs = await startDocumentServer();
    docs.serve(published.discoveryUrl, { json: published.document });
    docs.serve(published.document.jwks_uri, { json: jwks });
    const config = { issuer: published.document.issuer, discovery_url: published.discoveryUrl, ...entry };
    const issuers = loadTrustedIssuers([config], { baseDir: __dirname });
    const verifier = createTokenVerifier(issuers, { logger: pino({ level: 'silent' }), fetch: docs.fetch });
    return { verifier, docs };
  }

  type Case = {
    published: PublishedDiscovery;
    jwks: unknown;
    entry: Omit<IssuerConfig, 'issuer' | 'discovery_url'> & Record<string, unknown>;
    token: (issuer: string) => TokenShape;
  };
  const api = 'https://modelgate.corp.example';
  const cases: [string, Case][] = [
    [
      'Keycloak (a key set with an encryption key too)',
      {
        published: keycloakDiscovery('sso.corp.example', 'corp'),
        jwks: buildJwks(
          publicJwk(generateRsaKeyPair().publicKey, { kid: 'kc-enc', alg: 'RSA-OAEP', use: 'enc' }),
          publicJwk(rsa.publicKey, { kid: 'kc-sig', alg: 'RS256', use: 'sig' }),
        ),
        entry: { audiences: ['modelgate'], algorithms: ['RS256'] },
        token: (issuer) =>
          keycloakAccessToken({ issuer, audience: 'modelgate', kid: 'kc-sig' }, 'ci-bot', {
            realm: ['invoker'],
            resource: {},
          }),
      },
    ],
    [
      'Auth0 (an issuer ending in /)',
      {
        published: auth0Discovery('corp.eu.auth0.com'),
        jwks: buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'auth0-1', alg: 'RS256' })),
        entry: { audiences: [api], algorithms: ['RS256'] },
        token: (issuer) =>
          auth0ClientCredentials({ issuer, audience: api, kid: 'auth0-1' }, 'Zx81client', ['invoke:chat']),
      },
    ],
    ...(['openid-configuration', 'oauth-authorization-server'] as const).map((kind): [string, Case] => [
      `Okta (${kind})`,
      {
        published: oktaDiscovery('corp.okta.com', 'default', kind),
        jwks: sigJwks('okta-1'),
        entry: { audiences: ['api://modelgate'], algorithms: ['RS256'] },
        token: (issuer) =>
          oktaAccessToken({ issuer, audience: 'api://modelgate', kid: 'okta-1' }, 'alice@corp.example', [
            'invoke:chat',
          ]),
      },
    ]),
    ...(['2.0', '1.0'] as const).map((version): [string, Case] => [
      `Entra ID v${version} (keys without alg, with x5c)`,
      {
        published: entraDiscovery(tenantId, version),
        jwks: buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'entra-1' })),
        entry: { audiences: [clientId], algorithms: ['RS256'] },
        token: (issuer) =>
          entraAccessToken({ issuer, audience: clientId, kid: 'entra-1', tenantId, clientId }, version, {
            scp: 'invoke.chat',
          }),
      },
    ]),
    [
      'Google (keys on www.googleapis.com)',
      {
        published: googleDiscovery(),
        jwks: sigJwks('g-1'),
        entry: { audiences: [api], algorithms: ['RS256'] },
        token: (issuer) =>
          googleServiceAccount({ issuer, audience: api, kid: 'g-1' }, 'bot@proj.iam.gserviceaccount.com'),
      },
    ],
    [
      'Amazon Cognito (endpoints on the pool domain)',
      {
        published: cognitoDiscovery('eu-west-1', 'eu-west-1_Ab12Cd34E', 'corp-auth'),
        jwks: sigJwks('cog-1'),
        entry: { audiences: [cognitoClient], algorithms: ['RS256'], audience_claim: 'client_id' },
        token: (issuer) =>
          cognitoToken({ issuer, audience: 'unused', kid: 'cog-1', clientId: cognitoClient }, 'access'),
      },
    ],
    [
      'GitHub Actions',
      {
        published: githubActionsDiscovery(),
        jwks: buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'gh-1', alg: 'RS256' })),
        entry: { audiences: ['modelgate'], algorithms: ['RS256'] },
        token: (issuer) =>
          githubActions({ issuer, audience: 'modelgate', kid: 'gh-1' }, 'corp/payments', 'refs/heads/main'),
      },
    ],
    [
      'an RFC 8414 server with a path (well-known segment before the path)',
      {
        published: rfc8414Discovery('as.corp.example', 'tenants/payments'),
        jwks: sigJwks('as-1'),
        entry: { audiences: ['modelgate'], algorithms: ['RS256'] },
        token: (issuer) =>
          rfc9068AccessToken({ issuer, audience: 'modelgate', kid: 'as-1' }, 'svc:a', 'invoke'),
      },
    ],
  ];

  it.each(cases)('%s: verifies a token with the keys at the discovered jwks_uri', async (_name, c) => {
    const { verifier, docs: served } = await verifierDiscovering(c.published, c.jwks, c.entry);
    const { issuer, jwks_uri: jwksUri } = c.published.document;
    const { subject } = await verifier.verify(signed(c.token(issuer)));
    expect(subject.issuer).toBe(issuer);
    expect([served.hits(c.published.discoveryUrl), served.hits(jwksUri)]).toEqual([1, 1]);
  });

  it('takes the keys of an Entra issuer template from the common document, whose issuer is that template', async () => {
    const common = entraDiscovery(tenantId, 'common');
    const jwks = buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'e-1' }));
    const entry = { audiences: [clientId], algorithms: ['RS256'] as ['RS256'], tenants: [tenantId] };
    const { verifier, docs: served } = await verifierDiscovering(common, jwks, entry);
    const issuer = entraIssuer(tenantId, '2.0');
    const shape = entraAccessToken({ issuer, audience: clientId, kid: 'e-1', tenantId, clientId }, '2.0', {
      scp: 'invoke.chat',
    });
    const { subject } = await verifier.verify(signed(shape));
    expect(subject).toMatchObject({ issuer, claims: { tid: tenantId } });
    expect(served.hits(common.document.jwks_uri)).toBe(1);
  });

  it("refuses Entra's multi-tenant document for a single tenant's issuer: it names the template", async () => {
    const issuer = entraIssuer(tenantId, '2.0');
    const common = entraDiscovery(tenantId, 'common');
    // Precondition: the tenant's own document serves this issuer.
    expect(entraDiscovery(tenantId, '2.0').document.issuer).toBe(issuer);
    docs = await startDocumentServer();
    docs.serve(common.discoveryUrl, { json: common.document });
    docs.serve(common.document.jwks_uri, {
      json: buildJwks(jwkWithCertificate(rsa.publicKey, { kid: 'e-1' })),
    });
    const issuers = loadTrustedIssuers(
      [{ issuer, audiences: [clientId], algorithms: ['RS256'], discovery_url: common.discoveryUrl }],
      { baseDir: __dirname },
    );
    const verifier = createTokenVerifier(issuers, { logger: pino({ level: 'silent' }), fetch: docs.fetch });
    const shape = entraAccessToken({ issuer, audience: clientId, kid: 'e-1', tenantId, clientId }, '2.0', {
      scp: 'invoke.chat',
    });
    await expect(verifier.verify(signed(shape))).rejects.toMatchObject({ code: 'keys_unavailable' });
    expect(docs.hits(common.document.jwks_uri)).toBe(0);
  });
});
