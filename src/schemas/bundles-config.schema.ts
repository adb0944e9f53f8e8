/**
 * The OPA-style bundle configuration (issue #14): `keys`, `services` and `bundles` spelled as in OPA's
 * configuration, so an OPA config's bundle section can be copied across. modelgate evaluates one
 * WASM policy, so `bundles` holds exactly one entry.
 */
const seconds = (description: string, example: number, minimum: number, maximum: number) =>
  ({ type: 'integer', minimum, maximum, description, examples: [example] }) as const;

/** `keys.<id>`: a key that may sign bundles. */
export const bundleKeysSchema = {
  type: 'object',
  description: 'Bundle verification keys by id (OPA `keys`).',
  examples: [{ ci: { algorithm: 'RS256', key_file: 'keys/bundle-signing.pub.pem' } }],
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    properties: {
      algorithm: {
        type: 'string',
        description: 'JWS algorithm of the signature (default RS256).',
        examples: ['ES256'],
      },
      key: {
        type: 'string',
        minLength: 1,
        description:
          'PEM public key or certificate (RS/PS/ES; an Ed25519 key for EdDSA), or the shared secret (HS).',
        examples: ['-----BEGIN PUBLIC KEY-----\n...'],
      },
      key_file: {
        type: 'string',
        minLength: 1,
        description: 'File holding what `key` would hold; keeps secrets out of the config file.',
        examples: ['keys/bundle-signing.pub.pem'],
      },
      scope: {
        type: 'string',
        description: 'Scope a signature by this key must carry.',
        examples: ['write'],
      },
    },
  },
} as const;

/** `services.<name>`: a bundle server. */
export const bundleServicesSchema = {
  type: 'object',
  description: 'Bundle servers by name (OPA `services`).',
  examples: [{ bundles: { url: 'https://bundles.corp.example/v1' } }],
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: {
        type: 'string',
        pattern: '^https?://',
        description: 'Base URL; bundles are fetched from <url>/<resource>.',
        examples: ['https://bundles.corp.example/v1'],
      },
      response_header_timeout_seconds: seconds('Timeout waiting for the response headers.', 10, 1, 600),
      credentials: {
        type: 'object',
        additionalProperties: false,
        description: 'How to authenticate to the server.',
        examples: [{ bearer: { token_file: '/run/secrets/bundle-token' } }],
        properties: {
          bearer: {
            type: 'object',
            additionalProperties: false,
            description: 'Authorization: <scheme> <token>.',
            examples: [{ token_file: '/run/secrets/bundle-token' }],
            properties: {
              scheme: { type: 'string', minLength: 1, description: 'Default Bearer.', examples: ['Bearer'] },
              token: {
                type: 'string',
                minLength: 1,
                description: 'The token (prefer token_file).',
                examples: ['...'],
              },
              token_path: {
                type: 'string',
                minLength: 1,
                description: 'File holding the token, re-read on every request (OPA `token_path`).',
                examples: ['/run/secrets/bundle-token'],
              },
            },
          },
          client_tls: {
            type: 'object',
            additionalProperties: false,
            required: ['cert', 'private_key'],
            description: 'Mutual TLS: a client certificate and its key (PEM files).',
            examples: [{ cert: 'tls/client.pem', private_key: 'tls/client-key.pem' }],
            properties: {
              cert: {
                type: 'string',
                minLength: 1,
                description: 'Client certificate (PEM).',
                examples: ['tls/client.pem'],
              },
              private_key: {
                type: 'string',
                minLength: 1,
                description: 'Its private key (PEM).',
                examples: ['tls/client-key.pem'],
              },
            },
          },
        },
      },
      tls: {
        type: 'object',
        additionalProperties: false,
        description: 'Server certificate trust.',
        examples: [{ ca_cert: 'tls/ca.pem' }],
        properties: {
          ca_cert: {
            type: 'string',
            minLength: 1,
            description: 'CA bundle (PEM) to trust.',
            examples: ['tls/ca.pem'],
          },
        },
      },
    },
  },
} as const;

/** `bundles.<name>`: the policy bundle and where it comes from. */
export const bundlesSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  description: 'The policy bundle by name (OPA `bundles`); one entry. Replaces `bundle` and `bundle_name`.',
  examples: [{ modelgate: { service: 'bundles', resource: 'modelgate.tar.gz', signing: { keyid: 'ci' } } }],
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    properties: {
      file: {
        type: 'string',
        minLength: 1,
        description: 'A local .tar.gz or folder instead of a service; watched for changes.',
        examples: ['bundles/modelgate.tar.gz'],
      },
      watch: {
        type: 'boolean',
        description: 'Reload the file when it changes (default true).',
        examples: [true],
      },
      service: {
        type: 'string',
        minLength: 1,
        description: 'Name of a `services` entry.',
        examples: ['bundles'],
      },
      resource: {
        type: 'string',
        minLength: 1,
        description: 'Path under the service URL (default bundles/<name>).',
        examples: ['modelgate.tar.gz'],
      },
      persist: {
        type: 'boolean',
        description: 'Keep the last activated bundle in data_dir for restarts (default true for a service).',
        examples: [true],
      },
      polling: {
        type: 'object',
        additionalProperties: false,
        description: 'How often to ask the service.',
        examples: [{ min_delay_seconds: 60, max_delay_seconds: 120 }],
        properties: {
          min_delay_seconds: seconds('Shortest wait between polls.', 60, 1, 86400),
          max_delay_seconds: seconds('Longest wait between polls (and longest backoff).', 120, 1, 86400),
          long_polling_timeout_seconds: seconds('Ask for long polling with this wait.', 60, 1, 3600),
        },
      },
      signing: {
        type: 'object',
        additionalProperties: false,
        description: 'Signature verification (OPA `signing`).',
        examples: [{ keyid: 'ci', scope: 'modelgate' }],
        properties: {
          required: {
            type: 'boolean',
            description: 'Refuse an unsigned bundle (default true).',
            examples: [true],
          },
          keyid: {
            type: 'string',
            minLength: 1,
            description: 'Key id to verify with; default: the JWT kid.',
            examples: ['ci'],
          },
          scope: { type: 'string', description: 'Scope the signature must carry.', examples: ['modelgate'] },
          exclude_files: {
            type: 'array',
            items: { type: 'string' },
            description: 'Glob patterns of files the signature need not cover.',
            examples: [['README.md']],
          },
        },
      },
    },
  },
} as const;
