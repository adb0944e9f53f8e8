import type { FromSchema } from 'json-schema-to-ts';
import { KeyFetchErrorCode } from '../errors/reason-codes';
import { nullableTime as time } from './time.schema';

/** Where an issuer's keys come from: the configuration key that named them, or the development issuer. */
export const KEY_SOURCE_KINDS = [
  'public_key_file',
  'jwks_file',
  'secret_env',
  'jwks_url',
  'discovery_url',
  'development',
] as const;

/** The last fetch of one document of an issuer (its key set, or its discovery document). */
const documentFetchesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['document', 'last_success_at', 'last_failure'],
  description: 'When one document of the issuer was last fetched and used, and when and why it last failed.',
  examples: [{ document: 'jwks', last_success_at: '2026-11-29T10:00:00.000Z', last_failure: null }],
  properties: {
    document: {
      type: 'string',
      enum: ['jwks', 'discovery'],
      description: 'The key set (`jwks`) or the discovery document (`discovery`).',
      examples: ['jwks'],
    },
    last_success_at: time('When it was last fetched and used; null before the first time.'),
    last_failure: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['at', 'code', 'http_status'],
      description:
        'The last failed fetch, also after a later success; null if none failed. The log line of the failure ' +
        'has the detail; no URL or reply body is shown here.',
      examples: [{ at: '2026-11-29T09:58:00.000Z', code: 'key_fetch_http_status', http_status: 503 }],
      properties: {
        at: time('When.'),
        code: {
          type: 'string',
          enum: Object.values(KeyFetchErrorCode),
          description: 'Why (docs/operations.md, "Issuer keys").',
          examples: ['key_fetch_timeout'],
        },
        http_status: {
          type: ['integer', 'null'],
          description: 'The HTTP status, for `key_fetch_http_status`; else null.',
          examples: [503],
        },
      },
    },
  },
} as const;

/** One trusted issuer in GET /v1/status: where its keys come from and whether they can verify tokens now. */
export const issuerKeysStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'issuer',
    'config_key',
    'key_source',
    'usable',
    'keys',
    'kids',
    'stale',
    'refresh_due_at',
    'usable_until',
    'jwks_host',
    'fetches',
  ],
  description:
    'The verification keys of one trusted issuer: never key material or a secret, only counts, key ids and fetch times.',
  examples: [
    {
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      config_key: 'issuers[1]',
      key_source: 'discovery_url',
      usable: true,
      keys: 2,
      kids: ['kid-a', 'kid-b'],
      stale: false,
      refresh_due_at: '2026-11-29T10:10:00.000Z',
      usable_until: '2026-11-29T11:10:00.000Z',
      jwks_host: 'login.microsoftonline.com',
      fetches: [
        { document: 'discovery', last_success_at: '2026-11-29T10:00:00.000Z', last_failure: null },
        { document: 'jwks', last_success_at: '2026-11-29T10:00:00.000Z', last_failure: null },
      ],
    },
  ],
  properties: {
    issuer: {
      type: 'string',
      description: 'The configured `issuer`; an Entra ID template as configured, once for all its tenants.',
      examples: ['https://idp.corp'],
    },
    config_key: {
      type: 'string',
      description: 'The configuration entry: `issuers[<n>]`, or `dev-issuer` in development mode.',
      examples: ['issuers[0]'],
    },
    key_source: {
      type: 'string',
      enum: KEY_SOURCE_KINDS,
      description: 'Where the keys come from: the configuration key that names them, or `development`.',
      examples: ['jwks_url'],
    },
    usable: {
      type: 'boolean',
      description:
        'False when this issuer’s tokens are refused for want of keys: no key set fetched yet, an empty one, ' +
        'or one past `usable_until` whose refresh failed. /ready then carries a warning.',
      examples: [true],
    },
    keys: {
      type: 'integer',
      minimum: 0,
      description: 'Keys held (1 for `secret_env`: a secret is configured; never its value).',
      examples: [2],
    },
    kids: {
      type: 'array',
      items: { type: 'string' },
      description: 'The key ids (`kid`) of the keys held, once each; keys without one are only counted.',
      examples: [['kid-a', 'kid-b']],
    },
    stale: {
      type: 'boolean',
      description:
        'True when the keys are served past `refresh_due_at` because the refresh failed, until `usable_until`.',
      examples: [false],
    },
    refresh_due_at: time(
      'When the key set is fetched again (with the next token from then on); null for keys from configuration.',
    ),
    usable_until: time(
      'How long the key set is served while its refresh fails; null for keys from configuration or none yet.',
    ),
    jwks_host: {
      type: ['string', 'null'],
      description:
        'The host the key set is fetched from: the `jwks_url`’s, or the `jwks_uri` discovery found (null until found); null for keys from configuration.',
      examples: ['login.microsoftonline.com'],
    },
    fetches: {
      type: 'array',
      items: documentFetchesSchema,
      description: 'Per fetched document (discovery, then the key set); empty for keys from configuration.',
      examples: [[]],
    },
  },
} as const;

export type IssuerKeysStatusV1 = FromSchema<typeof issuerKeysStatusSchema>;
