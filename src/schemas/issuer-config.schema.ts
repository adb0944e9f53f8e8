import type { FromSchema } from 'json-schema-to-ts';

/**
 * Every JWS algorithm modelgate can verify; `none` is deliberately absent. EdDSA is RFC 8037's (an Ed25519 or Ed448
 * key), Ed25519 and Ed448 are RFC 9864's fully-specified names, each bound to its own curve.
 */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'Ed448',
  'HS256',
  'HS384',
  'HS512',
] as const;

/**
 * The asymmetric ones: what a DPoP proof may be signed with (RFC 9449 section 4.3), and by default may. The client
 * chooses its key, and WebCrypto and the `dpop` and `jose` packages sign Ed25519 proofs, so EdDSA is on by default.
 */
export const ASYMMETRIC_JWT_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'Ed448',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;

/**
 * What the audit log keeps of a token's claims unless an issuer says otherwise; the rest is hashed. Besides who
 * and for whom, the claims that say what the token may do: `scope`, and `scp` (Okta, Entra ID), `roles` (Entra
 * ID) and `permissions` (Auth0) for the same purpose. They are authorization data, not personal data, and a policy
 * that reads them can then be replayed from the record. Also the token's times, and `environment` and `repository`
 * (GitHub Actions and GitLab CI tokens), which the shipped policy binds calls to: a replay of it would otherwise
 * see hashes where it decided on values. Defined here so that the setting's description and example say it.
 */
export const DEFAULT_RECORDED_CLAIMS: readonly string[] = [
  'iss',
  'sub',
  'aud',
  'scope',
  'scp',
  'roles',
  'permissions',
  'act',
  'jti',
  'exp',
  'iat',
  'nbf',
  'environment',
  'repository',
];

// A value a required claim may hold; a number or a boolean is compared as one (2 is not "2").
const REQUIRED_CLAIM_VALUE = {
  type: ['string', 'number', 'boolean'],
  minLength: 1,
  maxLength: 2048,
} as const;

/** A trusted token issuer: who signs, for whom, with which algorithms, and where its keys come from. */
export const issuerConfigSchema = {
  $id: 'https://modelgate.dev/schemas/issuer-config.json',
  type: 'object',
  description:
    'A trusted JWT issuer. Set exactly one key source: public_key_file, jwks_file, jwks_url, discovery_url or secret_env.',
  additionalProperties: false,
  required: ['issuer', 'audiences', 'algorithms'],
  properties: {
    issuer: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description:
        'The exact `iss` claim of the tokens this entry verifies; or, with `tenants`, an Entra ID template whose `{tenantid}` (a whole path segment) stands for each listed tenant. `spiffe://<trust domain>` also takes SPIFFE JWT-SVIDs without `iss` whose `sub` is in that trust domain.',
      examples: ['https://idp.corp.example', 'https://login.microsoftonline.com/{tenantid}/v2.0'],
    },
    tenants: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      uniqueItems: true,
      items: {
        type: 'string',
        pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
        description: 'An Entra ID tenant id: a lower-case GUID, as the `tid` claim holds it.',
      },
      description:
        "Only with an `issuer` template: the tenants whose tokens are accepted. A token's `iss` must be the template with its own `tid` in place of `{tenantid}`. There is no wildcard.",
      examples: [['4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11']],
    },
    audiences: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 2048 },
      description: 'Accepted `aud` values; a token must name at least one of them.',
      examples: [['modelgate']],
    },
    algorithms: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: JWT_ALGORITHMS },
      description:
        'Accepted `alg` header values. HS* only with secret_env, and secret_env only with HS*; each must fit the key type.',
      examples: [['RS256', 'ES256']],
    },
    clock_skew_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: 300,
      default: 30,
      description: 'Tolerance applied to exp, nbf and iat, for clocks that disagree.',
      examples: [30],
    },
    max_token_lifetime_seconds: {
      type: 'integer',
      minimum: 60,
      maximum: 31_536_000,
      default: 86_400,
      description:
        'Longest exp - iat (or exp - now without iat) accepted; longer gets 401 token_lifetime_too_long.',
      examples: [86400],
    },
    recorded_claims: {
      type: 'array',
      maxItems: 64,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 128 },
      description:
        'Claims the audit record keeps as they are; every other claim is recorded as sha256:<hex> of its value. ' +
        `Default: ${DEFAULT_RECORDED_CLAIMS.join(', ')}.`,
      examples: [DEFAULT_RECORDED_CLAIMS],
    },
    allowed_scopes: {
      type: 'array',
      maxItems: 256,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\s*]*\\*?$' },
      description:
        "The scopes this issuer's tokens may grant, exactly or by a prefix ending in *; a token's other scopes are dropped. Default: every scope.",
      examples: [['invoke:*']],
    },
    token_types: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[!-~]+$' },
      description:
        'The `typ` header values accepted (case-insensitive, `application/` optional), and `typ` becomes required. Default: JWT, JOSE, at+jwt, or no typ.',
      examples: [['at+jwt']],
    },
    audience_claim: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      default: 'aud',
      description:
        'The claim that must name one of `audiences`, for issuers whose access tokens have no `aud` (Cognito: client_id). A token that has `aud` anyway must name an accepted audience there too.',
      examples: ['client_id'],
    },
    scope_claims: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 256 },
      description:
        "Top-level claims whose values are the subject's scopes: a space-separated string or an array of strings. Default: scope and scp.",
      examples: [['scp', 'roles']],
    },
    required_claims: {
      type: 'object',
      minProperties: 1,
      maxProperties: 32,
      propertyNames: { minLength: 1, maxLength: 128 },
      // One value or a list of them; minLength applies to strings only, minItems to lists only.
      additionalProperties: {
        type: ['string', 'number', 'boolean', 'array'],
        minLength: 1,
        maxLength: 2048,
        minItems: 1,
        maxItems: 256,
        items: REQUIRED_CLAIM_VALUE,
      },
      description:
        'Top-level claims a token must carry, each with one of the listed values (compared with their JSON type: 2 is not "2"); an array claim passes only when every element is listed. Otherwise 401 claim_invalid.',
      examples: [{ typ: 'Bearer', azp: ['ci-bot', 'support-bot'] }],
    },
    public_key_file: {
      type: 'string',
      minLength: 1,
      description: 'A PEM public key (SPKI or X.509 certificate), relative to the config file.',
      examples: ['keys/idp-public.pem'],
    },
    jwks_file: {
      type: 'string',
      minLength: 1,
      description: 'A JSON Web Key Set file, relative to the config file; tokens pick a key by `kid`.',
      examples: ['keys/idp-jwks.json'],
    },
    jwks_url: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'A JSON Web Key Set URL, cached and refreshed; https only (http for loopback hosts only).',
      examples: ['https://idp.corp.example/.well-known/jwks.json'],
    },
    discovery_url: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description:
        "The URL of the issuer's OpenID Provider Configuration (<issuer>/.well-known/openid-configuration) or RFC 8414 metadata document; its `issuer` must equal `issuer` exactly, and its `jwks_uri` (https) is then used as jwks_url is. Read lazily, again every hour or after a failed key fetch. https only (http for loopback hosts only).",
      examples: ['https://sso.corp.example/realms/corp/.well-known/openid-configuration'],
    },
    secret_env: {
      type: 'string',
      pattern: '^[A-Z_][A-Z0-9_]{0,127}$',
      description:
        'The NAME (UPPER_SNAKE_CASE) of an environment variable holding an HS* shared secret (at least 32 bytes), never the secret.',
      examples: ['MODELGATE_CI_JWT_SECRET'],
    },
  },
  // Each branch re-declares its property (as `true`: the parent's definition applies) for ajv's strictRequired.
  oneOf: [
    { properties: { public_key_file: true }, required: ['public_key_file'] },
    { properties: { jwks_file: true }, required: ['jwks_file'] },
    { properties: { jwks_url: true }, required: ['jwks_url'] },
    { properties: { discovery_url: true }, required: ['discovery_url'] },
    { properties: { secret_env: true }, required: ['secret_env'] },
  ],
  examples: [
    {
      issuer: 'https://sso.corp.example/realms/corp',
      audiences: ['modelgate'],
      algorithms: ['RS256'],
      discovery_url: 'https://sso.corp.example/realms/corp/.well-known/openid-configuration',
    },
    {
      issuer: 'https://idp.corp.example',
      audiences: ['modelgate'],
      algorithms: ['RS256'],
      jwks_url: 'https://idp.corp.example/.well-known/jwks.json',
    },
  ],
} as const;

/** One `issuers[]` entry of the configuration file, as written (snake_case, paths unresolved). */
// keepDefaultedPropertiesOptional: clock_skew_seconds has a default, but a config file may leave it out.
export type IssuerConfig = FromSchema<typeof issuerConfigSchema, { keepDefaultedPropertiesOptional: true }>;

/** A JWS algorithm modelgate can verify. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
