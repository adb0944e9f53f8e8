import type { FromSchema } from 'json-schema-to-ts';
import { issuerConfigSchema } from './issuer-config.schema';

const int = (description: string, example: number, minimum: number, maximum: number) =>
  ({ type: 'integer', minimum, maximum, description, examples: [example] }) as const;

/** The service configuration file (YAML or JSON), named by MODELGATE_CONFIG. Every key has a default. */
export const configSchema = {
  $id: 'https://modelgate.dev/schemas/config.json',
  title: 'ModelgateConfig',
  type: 'object',
  description: 'modelgate configuration. Paths are relative to the folder of the config file.',
  additionalProperties: false,
  properties: {
    port: int('TCP port to listen on (env PORT).', 8080, 0, 65535),
    host: {
      type: 'string',
      description: 'Address to bind (env HOST). Loopback by default; 0.0.0.0 in containers.',
      examples: ['127.0.0.1'],
    },
    db: {
      type: 'string',
      minLength: 1,
      description: 'SQLite audit database file (env MODELGATE_DB).',
      examples: ['/var/lib/modelgate/modelgate.db'],
    },
    database: {
      type: 'object',
      additionalProperties: false,
      description:
        'Shared PostgreSQL for several replicas (audit log, usage reports). Without it the SQLite file `db` is used.',
      properties: {
        url: {
          type: 'string',
          pattern: '^postgres(ql)?://',
          description:
            'postgres:// connection URL (env MODELGATE_DATABASE_URL); keep the password out of the file.',
          examples: ['postgres://modelgate@db:5432/modelgate'],
        },
        pool_size: int('Connections per replica.', 10, 1, 100),
      },
      required: ['url'],
    },
    data_dir: {
      type: 'string',
      minLength: 1,
      description: 'Folder for local state: the development issuer key pair (env MODELGATE_DATA_DIR).',
      examples: ['.modelgate'],
    },
    bundle: {
      type: 'string',
      minLength: 1,
      description:
        'OPA bundle: a .tar.gz built by `opa build -t wasm`, or its extracted folder (env MODELGATE_BUNDLE).',
      examples: ['bundles/modelgate.tar.gz'],
    },
    bundle_name: {
      type: 'string',
      minLength: 1,
      description: 'Name reported for the bundle; default: its file name.',
      examples: ['modelgate'],
    },
    entrypoint: {
      type: 'string',
      pattern: '^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$',
      description: 'The policy entrypoint evaluated by /v1/decide.',
      examples: ['modelgate/decision'],
    },
    default_decision: {
      type: 'string',
      pattern: '^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$',
      description: "The policy path OPA's default decision (`POST /`) evaluates; default: `entrypoint`.",
      examples: ['modelgate/decision'],
    },
    issuers: {
      type: 'array',
      items: issuerConfigSchema,
      description: 'Trusted token issuers. Empty or absent: development mode with a generated local issuer.',
      examples: [[]],
    },
    auditor_scope: {
      type: 'string',
      minLength: 1,
      description: 'Scope that may read the audit log and anyone’s usage.',
      examples: ['modelgate:audit'],
    },
    log_level: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      description: 'Log level (env LOG_LEVEL).',
      examples: ['info'],
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      description: 'Request limits.',
      examples: [{ body_bytes: 1048576 }],
      properties: {
        body_bytes: int('Largest request body; larger gets 413.', 1048576, 1024, 64 * 1024 * 1024),
        payload_chars: int('Most payload text screened; more gets 413.', 262144, 1024, 16 * 1024 * 1024),
        max_depth: int('Deepest JSON nesting; deeper gets 400.', 32, 4, 256),
        max_array_items: int('Longest JSON array; longer gets 400.', 10000, 16, 1_000_000),
      },
    },
    screening: {
      type: 'object',
      additionalProperties: false,
      description: 'Sensitive-data screening.',
      examples: [{ redaction_format: '[REDACTED:<class>]' }],
      properties: {
        redaction_format: {
          type: 'string',
          minLength: 1,
          maxLength: 128,
          description: 'Replacement for a redacted span; `<class>` is replaced by the class name.',
          examples: ['[REDACTED:<class>]'],
        },
      },
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      description: 'The audit log.',
      examples: [{ synchronous: 'FULL' }],
      properties: {
        synchronous: {
          type: 'string',
          enum: ['FULL', 'NORMAL'],
          description: 'SQLite synchronous mode: FULL survives power loss, NORMAL survives a process crash.',
          examples: ['FULL'],
        },
        checkpoint: {
          type: 'object',
          additionalProperties: false,
          required: ['private_key_file'],
          description: 'Sign the chain head with Ed25519 every N records or T seconds.',
          examples: [{ private_key_file: 'audit-signing.pem', every_records: 1000, every_seconds: 60 }],
          properties: {
            private_key_file: {
              type: 'string',
              minLength: 1,
              description: 'Ed25519 private key (PEM).',
              examples: ['audit-signing.pem'],
            },
            every_records: int('Sign after this many records.', 1000, 1, 10_000_000),
            every_seconds: int('Sign at least this often while records arrive.', 60, 1, 86400),
          },
        },
      },
    },
    usage: {
      type: 'object',
      additionalProperties: false,
      description: 'Budgets and rate limits bookkeeping.',
      examples: [{ reservation_ttl_seconds: 86400 }],
      properties: {
        reservation_ttl_seconds: int(
          'How long an unreported reservation counts and can still be reported.',
          86400,
          60,
          7 * 86400,
        ),
      },
    },
  },
} as const;

export type ConfigFile = FromSchema<typeof configSchema>;
