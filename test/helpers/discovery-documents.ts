/**
 * OpenID Provider Configuration and RFC 8414 metadata documents in the shapes identity providers publish
 * them: where each is served, the `issuer` it names, where its `jwks_uri` points (often another path or
 * another host), and a representative part of the other members. Tenants and hosts are made up.
 */

/** Where a provider serves its metadata document, and the document. */
export interface PublishedDiscovery {
  discoveryUrl: string;
  document: { issuer: string; jwks_uri: string } & Record<string, unknown>;
}

const CODE_FLOW = { response_types_supported: ['code'], subject_types_supported: ['public'] };

/** Keycloak: one realm is one issuer; keys at protocol/openid-connect/certs, encryption keys among them. */
export function keycloakDiscovery(host: string, realm: string): PublishedDiscovery {
  const issuer = `https://${host}/realms/${realm}`;
  const oidc = `${issuer}/protocol/openid-connect`;
  return {
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    document: {
      issuer,
      authorization_endpoint: `${oidc}/auth`,
      token_endpoint: `${oidc}/token`,
      introspection_endpoint: `${oidc}/token/introspect`,
      userinfo_endpoint: `${oidc}/userinfo`,
      end_session_endpoint: `${oidc}/logout`,
      frontchannel_logout_session_supported: true,
      jwks_uri: `${oidc}/certs`,
      check_session_iframe: `${oidc}/login-status-iframe.html`,
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types_supported: ['code', 'none', 'id_token', 'token', 'id_token token', 'code id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['PS384', 'ES384', 'RS384', 'HS256', 'ES256', 'RS256', 'PS256'],
      mtls_endpoint_aliases: { token_endpoint: `${oidc}/token` },
    },
  };
}

/** Auth0: the issuer ends in `/`, and the document sits beside it, not below a doubled slash. */
export function auth0Discovery(tenantHost: string): PublishedDiscovery {
  const origin = `https://${tenantHost}`;
  return {
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
    document: {
      issuer: `${origin}/`,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      device_authorization_endpoint: `${origin}/oauth/device/code`,
      userinfo_endpoint: `${origin}/userinfo`,
      mfa_challenge_endpoint: `${origin}/mfa/challenge`,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      registration_endpoint: `${origin}/oidc/register`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      scopes_supported: ['openid', 'profile', 'offline_access', 'email'],
      code_challenge_methods_supported: ['S256', 'plain'],
      id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
      end_session_endpoint: `${origin}/oidc/logout`,
      ...CODE_FLOW,
    },
  };
}

/**
 * Okta custom authorization server: keys at `v1/keys`. Okta serves its RFC 8414 document below the issuer's
 * path (`<issuer>/.well-known/oauth-authorization-server`), not where RFC 8414 inserts it.
 */
export function oktaDiscovery(
  orgHost: string,
  server: string,
  kind: 'openid-configuration' | 'oauth-authorization-server',
): PublishedDiscovery {
  const issuer = `https://${orgHost}/oauth2/${server}`;
  return {
    discoveryUrl: `${issuer}/.well-known/${kind}`,
    document: {
      issuer,
      authorization_endpoint: `${issuer}/v1/authorize`,
      token_endpoint: `${issuer}/v1/token`,
      ...(kind === 'openid-configuration' && { userinfo_endpoint: `${issuer}/v1/userinfo` }),
      registration_endpoint: `https://${orgHost}/oauth2/v1/clients`,
      jwks_uri: `${issuer}/v1/keys`,
      introspection_endpoint: `${issuer}/v1/introspect`,
      revocation_endpoint: `${issuer}/v1/revoke`,
      end_session_endpoint: `${issuer}/v1/logout`,
      grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'],
      dpop_signing_alg_values_supported: ['RS256', 'ES256'],
      ...CODE_FLOW,
    },
  };
}

/**
 * Entra ID: the v2.0 document names the v2 issuer; the tenant's v1 document, on the same host, names
 * `https://sts.windows.net/<tenant>/`; the multi-tenant `common` document names a template, `{tenantid}`,
 * that no token carries.
 */
export function entraDiscovery(tenant: string, version: '1.0' | '2.0' | 'common'): PublishedDiscovery {
  const login = 'https://login.microsoftonline.com';
  const v2 = version !== '1.0';
  const path = version === 'common' ? 'common' : tenant;
  const issuer = {
    '1.0': `https://sts.windows.net/${tenant}/`,
    '2.0': `${login}/${tenant}/v2.0`,
    common: `${login}/{tenantid}/v2.0`,
  }[version];
  return {
    discoveryUrl: `${login}/${path}${v2 ? '/v2.0' : ''}/.well-known/openid-configuration`,
    document: {
      token_endpoint: `${login}/${path}/oauth2${v2 ? '/v2.0' : ''}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: v2 ? `${login}/${path}/discovery/v2.0/keys` : `${login}/common/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      issuer,
      userinfo_endpoint: v2
        ? 'https://graph.microsoft.com/oidc/userinfo'
        : `${login}/${path}/openid/userinfo`,
      authorization_endpoint: `${login}/${path}/oauth2${v2 ? '/v2.0' : ''}/authorize`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      msgraph_host: 'graph.microsoft.com',
    },
  };
}

/** Google: keys on another host, www.googleapis.com. */
export function googleDiscovery(): PublishedDiscovery {
  return {
    discoveryUrl: 'https://accounts.google.com/.well-known/openid-configuration',
    document: {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
      token_endpoint: 'https://oauth2.googleapis.com/token',
      userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
      revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
      jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      code_challenge_methods_supported: ['plain', 'S256'],
      ...CODE_FLOW,
    },
  };
}

/** Amazon Cognito: issuer and keys on cognito-idp, the OAuth endpoints on the pool's own domain. */
export function cognitoDiscovery(region: string, poolId: string, domain: string): PublishedDiscovery {
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
  const auth = `https://${domain}.auth.${region}.amazoncognito.com`;
  return {
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    document: {
      authorization_endpoint: `${auth}/oauth2/authorize`,
      end_session_endpoint: `${auth}/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ['code', 'token'],
      revocation_endpoint: `${auth}/oauth2/revoke`,
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      subject_types_supported: ['public'],
      token_endpoint: `${auth}/oauth2/token`,
      userinfo_endpoint: `${auth}/oauth2/userInfo`,
    },
  };
}

/** GitHub Actions: a workload issuer with no authorization endpoint at all. */
export function githubActionsDiscovery(): PublishedDiscovery {
  const issuer = 'https://token.actions.githubusercontent.com';
  return {
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    document: {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'workflow'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    },
  };
}

/** RFC 8414 section 3.1: for an issuer with a path, the well-known segment goes between host and path. */
export function rfc8414Discovery(host: string, tenantPath: string): PublishedDiscovery {
  const issuer = `https://${host}/${tenantPath}`;
  return {
    discoveryUrl: `https://${host}/.well-known/oauth-authorization-server/${tenantPath}`,
    document: {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      grant_types_supported: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      response_types_supported: ['code'],
    },
  };
}
