import type { FromSchema } from 'json-schema-to-ts';
import { BundleErrorCode } from '../errors/reason-codes';
import { issuerKeysStatusSchema } from './issuer-keys-status.schema';
import { nullableTime as time } from './time.schema';

/** One policy bundle in GET /v1/status. */
export const bundleStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source', 'active', 'last_request_at', 'last_error'],
  description: 'A policy bundle: where it comes from, what is in force, and the last error.',
  examples: [
    {
      name: 'modelgate',
      source: 'https://bundles.corp/v1/modelgate.tar.gz',
      active: {
        revision: '2026.11.29-1',
        key_id: 'ci',
        etag: '"6a1f-5e"',
        origin: 'https://bundles.corp/v1/modelgate.tar.gz',
        downloaded_at: '2026-11-29T10:00:00.000Z',
        activated_at: '2026-11-29T10:00:00.000Z',
      },
      last_request_at: '2026-11-29T10:05:00.000Z',
      last_error: null,
    },
  ],
  properties: {
    name: { type: 'string', description: 'Bundle name.', examples: ['modelgate'] },
    source: {
      type: 'string',
      description: '`file:<path>` or the bundle server URL.',
      examples: ['file:/etc/modelgate/modelgate.tar.gz'],
    },
    active: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['revision', 'key_id', 'etag', 'origin', 'downloaded_at', 'activated_at'],
      description:
        'The bundle in force; null when none was ever activated (every decision is policy_unavailable).',
      examples: [null],
      properties: {
        revision: { type: 'string', description: '`.manifest` revision.', examples: ['2026.11.29-1'] },
        key_id: {
          type: ['string', 'null'],
          description: 'Signing key id; null if unsigned.',
          examples: ['ci'],
        },
        etag: { type: ['string', 'null'], description: 'ETag the server gave it.', examples: ['"6a1f-5e"'] },
        origin: {
          type: 'string',
          description: 'Where this copy was read: the source, or `persisted:<dir>` after a restart.',
          examples: ['persisted:/var/lib/modelgate/bundles/modelgate'],
        },
        downloaded_at: time('When it was read or downloaded.'),
        activated_at: time('When it went into force.'),
      },
    },
    last_request_at: time('When the source was last read or asked (a 304 counts).'),
    last_error: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['code', 'message', 'at'],
      description: 'Why the last candidate was not activated; null after a success.',
      examples: [null],
      properties: {
        code: {
          type: 'string',
          enum: Object.values(BundleErrorCode),
          description: 'Error code.',
          examples: ['bundle_digest_mismatch'],
        },
        message: {
          type: 'string',
          description: 'What was wrong.',
          examples: ['policy.wasm: digest mismatch'],
        },
        at: time('When.'),
      },
    },
  },
} as const;

/**
 * GET /v1/status: one section per concern. `bundles` is the policy's, `issuer_keys` the identity's; other modules
 * add their own top-level sections (disk, decision logs) without touching these.
 */
export const statusSchema = {
  $id: 'https://modelgate.dev/schemas/status.json',
  title: 'StatusV1',
  type: 'object',
  additionalProperties: true,
  required: ['bundles', 'issuer_keys'],
  description: 'Service status for operators and auditors, one section per concern.',
  examples: [{ bundles: [], issuer_keys: [] }],
  properties: {
    bundles: { type: 'array', items: bundleStatusSchema, description: 'Policy bundles.', examples: [[]] },
    issuer_keys: {
      type: 'array',
      items: issuerKeysStatusSchema,
      description:
        'Every trusted issuer, in configuration order: where its keys come from, how many are held, and their fetches.',
      examples: [[]],
    },
    decision_logs: {
      type: 'array',
      description:
        'Decision-log sinks (empty when shipping is off): cursor and head seq, backlog, totals, last success and error.',
      examples: [[{ sink: 'service', cursor_seq: 1200, head_seq: 1204, backlog: 4, last_success_at: null }]],
      items: { type: 'object' },
    },
  },
} as const;

export type StatusV1 = FromSchema<typeof statusSchema>;
