import type { FromSchema } from 'json-schema-to-ts';

const nullableString = (description: string, example: string) =>
  ({ type: ['string', 'null'], maxLength: 2048, description, examples: [example] }) as const;

/**
 * One decision as the audit log keeps it (version 1). The pipeline builds it; the log stores it
 * as canonical JSON and hash-chains it. It never holds the raw payload or the token.
 */
export const auditRecordV1Schema = {
  $id: 'https://modelgate.dev/schemas/audit-record-v1.json',
  title: 'AuditRecordV1',
  type: 'object',
  additionalProperties: false,
  description: 'One recorded decision: allowed, denied, or rejected before the policy ran.',
  required: [
    'decision_id',
    'timestamp',
    'path',
    'outcome',
    'status',
    'subject',
    'issuer',
    'actor',
    'token_id',
    'model',
    'provider',
    'operation',
    'purpose',
    'input',
    'result',
    'reasons',
    'obligations',
    'max_tokens',
    'bundle',
    'latency_ms',
    'client_address',
  ],
  properties: {
    decision_id: {
      type: 'string',
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description: 'Time-ordered UUIDv7 of the decision (newDecisionId()).',
      examples: ['0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f'],
    },
    timestamp: {
      type: 'string',
      format: 'date-time',
      // Exactly Date#toISOString(): UTC, milliseconds; such strings also sort chronologically.
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
      description: 'When the request arrived, ISO 8601 UTC with milliseconds.',
      examples: ['2026-11-22T10:00:00.123Z'],
    },
    path: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      description: 'The API path decided.',
      examples: ['/v1/decide'],
    },
    outcome: {
      type: 'string',
      enum: ['allowed', 'denied', 'rejected'],
      description: 'rejected: refused before the policy ran (401, 400, 413, 403, 503, ...).',
      examples: ['denied'],
    },
    status: {
      type: 'integer',
      minimum: 100,
      maximum: 599,
      description: 'HTTP status of the reply.',
      examples: [200],
    },
    subject: nullableString('Verified subject (sub claim).', 'spiffe://corp/ci/build-bot'),
    issuer: nullableString('Issuer of the verified token.', 'https://idp.corp'),
    actor: nullableString('act.sub: the agent acting for the subject.', 'agent:triage'),
    token_id: nullableString(
      "jti, or sha256:<hex> of the token's signed part (header.payload); never the token.",
      'sha256:9f86d0...',
    ),
    model: nullableString('Requested model.', 'anthropic.claude-sonnet'),
    provider: nullableString('Requested provider.', 'bedrock'),
    operation: nullableString('Requested operation.', 'chat'),
    purpose: nullableString('Declared purpose.', 'support-reply'),
    input: {
      description: 'The policy input document, or null if the request never got that far.',
      examples: [{ payload: { present: true, chars: 5312, findings: { email: 2 } } }],
    },
    result: {
      description: 'The decision document, as the policy returned it or as modelgate synthesized it.',
      examples: [{ allow: false, reasons: [{ code: 'budget_exhausted' }] }],
    },
    reasons: {
      type: 'array',
      maxItems: 256,
      items: { type: 'string', minLength: 1, maxLength: 128 },
      description: 'Reason codes.',
      examples: [['budget_exhausted']],
    },
    obligations: {
      type: 'array',
      maxItems: 256,
      description: 'Obligations attached to the decision.',
      examples: [[{ type: 'cap_tokens', max_tokens: 1024 }]],
    },
    max_tokens: {
      type: ['integer', 'null'],
      minimum: 0,
      description: 'Effective max_tokens after cap_tokens.',
      examples: [1024],
    },
    bundle: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['name', 'revision'],
      properties: {
        name: { type: 'string', maxLength: 256, description: 'Bundle name.', examples: ['modelgate'] },
        revision: {
          type: 'string',
          maxLength: 256,
          description: 'Bundle revision.',
          examples: ['2026-11-20.1'],
        },
      },
      description: 'The policy bundle that decided, or null if none ran.',
      examples: [{ name: 'modelgate', revision: '2026-11-20.1' }],
    },
    latency_ms: { type: 'number', minimum: 0, description: 'Time spent deciding.', examples: [3.2] },
    client_address: nullableString('Remote address of the caller.', '10.0.4.17'),
    truncated: {
      type: 'object',
      maxProperties: 32,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['bytes', 'sha256'],
        properties: {
          bytes: { type: 'integer', minimum: 0, description: 'UTF-8 length of the whole value.' },
          sha256: {
            type: 'string',
            pattern: '^[0-9a-f]{64}$',
            description: 'Hex SHA-256 of the whole value.',
          },
        },
      },
      description:
        'Fields stored shortened, by path (e.g. purpose, input.context): the whole value’s length and hash. ' +
        'A string keeps its first characters; an object is replaced by a marker string.',
      examples: [
        {
          purpose: {
            bytes: 3000,
            sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          },
        },
      ],
    },
    count: {
      type: 'integer',
      minimum: 1,
      description: 'For an aggregated rejection: how many requests of this source and reason it stands for.',
      examples: [1],
    },
  },
} as const;

/** One recorded decision (wire type, version 1), derived from auditRecordV1Schema. */
export type AuditRecordV1 = FromSchema<typeof auditRecordV1Schema>;

/** The three ways a decision can end. */
export type AuditOutcome = AuditRecordV1['outcome'];

/** The outcomes, for validating filters. */
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['allowed', 'denied', 'rejected'];
