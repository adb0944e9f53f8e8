import type { FromSchema } from 'json-schema-to-ts';

/** GET /ready: what the readiness probe checks, and warnings that do not make the service unready. */
export const readinessSchema = {
  $id: 'https://modelgate.dev/schemas/readiness.json',
  title: 'ReadinessV1',
  type: 'object',
  additionalProperties: false,
  required: ['ready', 'checks', 'warnings'],
  description:
    'Ready (200) with a bundle loaded and the audit store open, until a stop signal; else 503. `warnings` never ' +
    'changes the status: low disk space, and trusted issuers without usable verification keys.',
  examples: [{ ready: true, checks: { policy: true, store: true }, warnings: [] }],
  properties: {
    ready: {
      type: 'boolean',
      description: 'Whether every check passes and the service is not stopping.',
      examples: [true],
    },
    checks: {
      type: 'object',
      additionalProperties: false,
      required: ['policy', 'store'],
      description: 'The checks readiness depends on.',
      examples: [{ policy: true, store: true }],
      properties: {
        policy: { type: 'boolean', description: 'A policy bundle is in force.', examples: [true] },
        store: {
          type: 'boolean',
          description: 'The audit store is open (SQLite) or reachable (PostgreSQL).',
          examples: [true],
        },
      },
    },
    stopping: {
      type: 'boolean',
      const: true,
      description: 'Present from a stop signal on: the service drains and answers 503.',
      examples: [true],
    },
    disk: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'free_bytes', 'warn_below_bytes', 'ok'],
      description: 'The audit log’s volume (SQLite only).',
      examples: [
        { path: '/var/lib/modelgate', free_bytes: 52428800000, warn_below_bytes: 1073741824, ok: true },
      ],
      properties: {
        path: { type: 'string', description: 'The database folder.', examples: ['/var/lib/modelgate'] },
        free_bytes: {
          type: ['integer', 'null'],
          description: 'Free bytes; null when unknown.',
          examples: [52428800000],
        },
        warn_below_bytes: {
          type: 'integer',
          description: '`audit.disk_warn_free_mb` in bytes.',
          examples: [1073741824],
        },
        ok: { type: 'boolean', description: 'False below the threshold or when unknown.', examples: [true] },
      },
    },
    warnings: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Low disk space; an issuer whose tokens cannot be verified now for want of keys, named by its configuration entry (`issuers[0]`; GET /v1/status has the issuer in `issuer_keys`).',
      examples: [
        [
          'issuers[0] has no verification keys: no key set fetched yet (last failure: jwks key_fetch_http_status 503 at 2026-11-29T10:00:00.000Z); its tokens are refused keys_unavailable until a fetch succeeds',
        ],
      ],
    },
  },
} as const;

export type ReadinessV1 = FromSchema<typeof readinessSchema>;
