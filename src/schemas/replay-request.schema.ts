import type { FromSchema } from 'json-schema-to-ts';
import { instantSchema, sinceSchema } from './time.schema';

/** Largest candidate bundle POST /v1/replay accepts, in bytes of the .tar.gz. */
export const MAX_REPLAY_BUNDLE_BYTES = 8 * 1024 * 1024;
/** Default and largest number of recorded decisions one POST /v1/replay evaluates. */
export const DEFAULT_REPLAY_LIMIT = 100_000;
export const MAX_REPLAY_LIMIT = 1_000_000;

/** Body of POST /v1/replay: a candidate bundle and which recorded decisions to replay it on. */
export const replayRequestSchema = {
  $id: 'https://modelgate.dev/schemas/replay-request.json',
  title: 'ReplayRequestV1',
  type: 'object',
  description: 'Replay recorded /v1/decide inputs against a candidate bundle and the active one.',
  additionalProperties: false,
  required: ['bundle'],
  properties: {
    bundle: {
      type: 'string',
      minLength: 1,
      // base64 grows 4/3; a few bytes of padding on top.
      maxLength: Math.ceil(MAX_REPLAY_BUNDLE_BYTES / 3) * 4,
      // Standard base64 (RFC 4648 section 4), padded, as `base64 -w0 bundle.tar.gz` writes it: checked in
      // replay-service.ts. Not as a `pattern`: V8 runs a repeated group like that one out of stack past ~5 MB.
      contentEncoding: 'base64',
      contentMediaType: 'application/gzip',
      description:
        'The candidate bundle (.tar.gz built by `opa build -t wasm`), base64 (`base64 -w0 bundle.tar.gz`).',
    },
    since: {
      ...sinceSchema,
      maxLength: 64,
      description: 'Start of the period: 30m, 24h, 7d, 4w, or an RFC 3339 date or date-time with a zone.',
      examples: ['7d'],
    },
    until: {
      ...instantSchema,
      maxLength: 64,
      description: 'End of the period (exclusive), an RFC 3339 date or date-time with a zone. Default now.',
      examples: ['2026-11-29T00:00:00Z'],
    },
    subject: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description: 'Only this subject’s decisions.',
      examples: ['spiffe://corp/support/reply-bot'],
    },
    fail_on: {
      type: 'array',
      maxItems: 5,
      uniqueItems: true,
      items: {
        type: 'string',
        enum: [
          'allow-to-deny',
          'deny-to-allow',
          'obligations-added',
          'obligations-removed',
          'obligations-changed',
        ],
      },
      description:
        'Kinds of change to list in `failed_on` when found (what the CLI exits non-zero for). With any of them, ' +
        '`failed_on` also lists `unreplayable` when some decisions could not be replayed, and `truncated` when ' +
        '`limit` stopped the replay before the end of the period.',
      examples: [['allow-to-deny', 'deny-to-allow']],
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_REPLAY_LIMIT,
      description: `Evaluate at most this many recorded decisions, oldest first (default ${DEFAULT_REPLAY_LIMIT}).`,
      examples: [10000],
    },
  },
} as const;

/** The body of POST /v1/replay. */
export type ReplayRequestV1 = FromSchema<typeof replayRequestSchema>;
