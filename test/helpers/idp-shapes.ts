/**
 * Token headers, claims and key sets in the shapes real identity providers issue them, built at test time.
 * Each shape follows what the provider documents for its access (or workload) tokens; identifiers are
 * generated, never copied from a real token.
 */
import { randomBytes, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { publicJwk } from './tokens';

/** A token's header and claims, unsigned; sign them with `signToken`. */
export interface TokenShape {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** What every shape needs: the issuer, the audience the caller asked for, the clock and the signing key's kid. */
export interface ShapeBase {
  issuer: string;
  audience: string;
  kid: string;
  nowSeconds?: number;
}

const now = (base: ShapeBase) => base.nowSeconds ?? Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const b64url = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Returns a kube-apiserver projected service-account token for `namespace/name` (RS256, aud an array). */
export function kubernetesServiceAccount(base: ShapeBase, namespace: string, name: string): TokenShape {
  const t = now(base);
  return {
    header: { alg: 'RS256', kid: base.kid },
    claims: {
      aud: [base.audience],
      exp: t + 3600,
      iat: t,
      iss: base.issuer,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace,
        node: { name: `ip-10-0-${t % 250}-7.ec2.internal`, uid: randomUUID() },
        pod: { name: `${name}-7d9c6b5f4-${hex(3)}`, uid: randomUUID() },
        serviceaccount: { name, uid: randomUUID() },
      },
      nbf: t,
      sub: `system:serviceaccount:${namespace}:${name}`,
    },
  };
}

/** Returns a SPIRE JWT-SVID (ES256, typ JWT, aud an array) for a SPIFFE id. */
export function spiffeJwtSvid(base: ShapeBase, spiffeId: string): TokenShape {
  const t = now(base);
  return {
    header: { alg: 'ES256', kid: base.kid, typ: 'JWT' },
    claims: { aud: [base.audience], exp: t + 300, iat: t, iss: base.issuer, sub: spiffeId },
  };
}

/** Returns a SPIFFE bundle endpoint document: an x509-svid key (with x5c) beside the jwt-svid keys. */
export function spiffeBundle(x509Authority: KeyObject, jwtAuthorities: { key: KeyObject; kid: string }[]) {
  return {
    keys: [
      { ...publicJwk(x509Authority, { use: 'x509-svid' }), x5c: [b64url(300)] },
      ...jwtAuthorities.map(({ key, kid }) => publicJwk(key, { kid, use: 'jwt-svid' })),
    ],
    spiffe_refresh_hint: 300,
    spiffe_sequence: 7,
  };
}

/** Returns a GitHub Actions OIDC token for a workflow run on `repository` at `ref` (RS256, x5t header). */
export function githubActions(base: ShapeBase, repository: string, ref: string): TokenShape {
  const t = now(base);
  const [owner] = repository.split('/');
  return {
    header: { alg: 'RS256', kid: base.kid, typ: 'JWT', x5t: base.kid },
    claims: {
      jti: randomUUID(),
      sub: `repo:${repository}:ref:${ref}`,
      aud: base.audience,
      ref,
      sha: hex(20),
      repository,
      repository_owner: owner,
      repository_owner_id: String(t % 100_000),
      run_id: String(t),
      run_number: '42',
      run_attempt: '1',
      repository_visibility: 'private',
      repository_id: String(t % 1_000_000),
      actor_id: '12345',
      actor: 'octocat',
      workflow: 'build',
      head_ref: '',
      base_ref: '',
      event_name: 'push',
      ref_protected: 'true',
      ref_type: 'branch',
      workflow_ref: `${repository}/.github/workflows/build.yml@${ref}`,
      workflow_sha: hex(20),
      job_workflow_ref: `${repository}/.github/workflows/build.yml@${ref}`,
      job_workflow_sha: hex(20),
      runner_environment: 'github-hosted',
      iss: base.issuer,
      nbf: t - 5,
      exp: t + 300,
      iat: t,
    },
  };
}

/** Returns the public JWK of a key as GitHub and Entra publish theirs: with x5t and an x5c chain beside n/e. */
export function jwkWithCertificate(key: KeyObject, members: { kid: string; alg?: string }): JsonWebKey {
  return { ...publicJwk(key, { ...members, use: 'sig' }), x5t: members.kid, x5c: [b64url(600)] };
}

/** Returns an Okta custom authorization server access token: `scp` an array, `cid`, `uid`, `ver: 1`. */
export function oktaAccessToken(base: ShapeBase, user: string, scopes: string[]): TokenShape {
  const t = now(base);
  return {
    header: { alg: 'RS256', kid: base.kid },
    claims: {
      ver: 1,
      jti: `AT.${b64url(32)}`,
      iss: base.issuer,
      aud: base.audience,
      iat: t,
      exp: t + 3600,
      cid: `0oa${hex(8)}`,
      uid: `00u${hex(8)}`,
      scp: scopes,
      auth_time: t - 60,
      sub: user,
    },
  };
}

/** The Entra ID (Azure AD) tenant-specific issuer of a token version. */
export function entraIssuer(tenantId: string, version: '1.0' | '2.0'): string {
  return version === '1.0'
    ? `https://sts.windows.net/${tenantId}/`
    : `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

/** What differs between Entra's delegated (a user's `scp`) and app-only (the app's `roles`) tokens. */
export type EntraGrant = { scp: string } | { roles: string[] };

/** Returns an Entra ID access token of v1 or v2: `scp` space-separated or `roles`, `ver`, `appid`/`azp`. */
export function entraAccessToken(
  base: ShapeBase & { tenantId: string; clientId: string },
  version: '1.0' | '2.0',
  grant: EntraGrant,
): TokenShape {
  const t = now(base);
  const oid = randomUUID();
  const app =
    version === '1.0' ? { appid: base.clientId, appidacr: '1' } : { azp: base.clientId, azpacr: '1' };
  const user =
    'scp' in grant
      ? { name: 'Alice Example', preferred_username: 'alice@corp.example', sub: b64url(32) }
      : { sub: oid, idtyp: 'app' };
  return {
    header: { typ: 'JWT', alg: 'RS256', kid: base.kid, ...(version === '1.0' ? { x5t: base.kid } : {}) },
    claims: {
      aud: base.audience,
      iss: base.issuer,
      iat: t,
      nbf: t,
      exp: t + 4500,
      aio: b64url(48),
      ...app,
      oid,
      rh: `0.${b64url(40)}.`,
      tid: base.tenantId,
      uti: b64url(16),
      ver: version,
      ...user,
      ...grant,
    },
  };
}

/** Returns an Auth0 client-credentials access token: `gty`, sub `<client>@clients`, `scope` and `permissions`. */
export function auth0ClientCredentials(base: ShapeBase, clientId: string, scopes: string[]): TokenShape {
  const t = now(base);
  return {
    header: { alg: 'RS256', typ: 'JWT', kid: base.kid },
    claims: {
      iss: base.issuer,
      sub: `${clientId}@clients`,
      aud: base.audience,
      iat: t,
      exp: t + 86_400,
      gty: 'client-credentials',
      azp: clientId,
      scope: scopes.join(' '),
      permissions: scopes,
    },
  };
}

/** Returns an Auth0 user access token with RBAC: aud also names /userinfo, `scope` is OIDC, `permissions` the API's. */
export function auth0UserToken(base: ShapeBase, permissions: string[]): TokenShape {
  const t = now(base);
  return {
    header: { alg: 'RS256', typ: 'JWT', kid: base.kid },
    claims: {
      iss: base.issuer,
      sub: `auth0|${hex(12)}`,
      aud: [base.audience, `${base.issuer}userinfo`],
      iat: t,
      exp: t + 7200,
      azp: b64url(24),
      scope: 'openid profile email',
      permissions,
    },
  };
}

/** Returns a Keycloak access token: `typ: Bearer`, `azp`, `scope` string, `realm_access` and `resource_access`. */
export function keycloakAccessToken(
  base: ShapeBase,
  client: string,
  roles: { realm: string[]; resource: Record<string, string[]> },
): TokenShape {
  const t = now(base);
  const resourceAccess = Object.fromEntries(
    Object.entries(roles.resource).map(([name, list]) => [name, { roles: list }]),
  );
  return {
    header: { alg: 'RS256', typ: 'JWT', kid: base.kid },
    claims: {
      exp: t + 300,
      iat: t,
      jti: randomUUID(),
      iss: base.issuer,
      aud: [base.audience, 'account'],
      sub: randomUUID(),
      typ: 'Bearer',
      azp: client,
      acr: '1',
      'allowed-origins': ['/*'],
      realm_access: { roles: roles.realm },
      resource_access: resourceAccess,
      scope: 'profile email',
      clientHost: '10.0.0.7',
      email_verified: false,
      preferred_username: `service-account-${client}`,
      clientAddress: '10.0.0.7',
      client_id: client,
    },
  };
}

/** Returns a Keycloak ID token of a client: `typ: ID`, `aud` and `azp` the client, the user's profile, no scope. */
export function keycloakIdToken(base: ShapeBase, client: string): TokenShape {
  const t = now(base);
  return {
    header: { alg: 'RS256', typ: 'JWT', kid: base.kid },
    claims: {
      exp: t + 300,
      iat: t,
      auth_time: t - 30,
      jti: randomUUID(),
      iss: base.issuer,
      aud: client,
      sub: randomUUID(),
      typ: 'ID',
      azp: client,
      nonce: b64url(16),
      sid: randomUUID(),
      at_hash: b64url(16),
      acr: '1',
      email_verified: true,
      name: 'Alice Example',
      preferred_username: 'alice',
      email: 'alice@corp.example',
    },
  };
}

/** Returns a Google-signed service-account ID token (from the metadata server): `email`, `azp`, numeric `sub`. */
export function googleServiceAccount(base: ShapeBase, email: string): TokenShape {
  const t = now(base);
  const id = String(100_000_000_000_000_000_000n + BigInt(t));
  return {
    header: { alg: 'RS256', kid: base.kid, typ: 'JWT' },
    claims: {
      aud: base.audience,
      azp: id,
      email,
      email_verified: true,
      exp: t + 3600,
      iat: t,
      iss: base.issuer,
      sub: id,
    },
  };
}

/** Returns an Amazon Cognito token: an access token has no `aud` but `client_id`; an ID token has `aud`. */
export function cognitoToken(
  base: ShapeBase & { clientId: string },
  use: 'access' | 'id',
  scope = 'modelgate/invoke',
): TokenShape {
  const t = now(base);
  const common = { iss: base.issuer, exp: t + 3600, iat: t, auth_time: t, jti: randomUUID(), token_use: use };
  const claims =
    use === 'access'
      ? { ...common, sub: base.clientId, version: 2, client_id: base.clientId, scope }
      : { ...common, sub: randomUUID(), aud: base.clientId, email: 'alice@corp.example' };
  return { header: { kid: base.kid, alg: 'RS256' }, claims };
}

/** Returns an RFC 9068 JWT access token: `typ: at+jwt`, `client_id`, `scope`. */
export function rfc9068AccessToken(base: ShapeBase, sub: string, scope: string): TokenShape {
  const t = now(base);
  return {
    header: { typ: 'at+jwt', alg: 'RS256', kid: base.kid },
    claims: {
      iss: base.issuer,
      exp: t + 600,
      aud: base.audience,
      sub,
      client_id: `client-${hex(4)}`,
      iat: t,
      jti: randomUUID(),
      scope,
    },
  };
}

/** Returns an RFC 8693 token-exchange result: `act` naming a chain of actors, `may_act` who else may act. */
export function tokenExchangeResult(
  base: ShapeBase,
  sub: string,
  actors: string[],
  mayAct: string,
): TokenShape {
  const t = now(base);
  const act = actors.reduceRight<Record<string, unknown> | undefined>(
    (inner, actor) => ({ sub: actor, ...(inner ? { act: inner } : {}) }),
    undefined,
  );
  return {
    header: { alg: 'ES256', kid: base.kid, typ: 'JWT' },
    claims: {
      aud: base.audience,
      iss: base.issuer,
      exp: t + 600,
      nbf: t,
      iat: t,
      sub,
      scope: 'invoke:chat',
      act,
      may_act: { sub: mayAct },
    },
  };
}
