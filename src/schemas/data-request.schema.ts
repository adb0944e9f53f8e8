import type { FromSchema } from 'json-schema-to-ts';
import { invocationSchema } from './decide-request.schema';

/** Body of the OPA-compatible `POST /v1/data/{path}`, as OPA's own Data API takes it. */
export const dataRequestSchema = {
  $id: 'https://modelgate.dev/schemas/data-request.json',
  title: 'DataRequestV1',
  type: 'object',
  description:
    'OPA Data API request. `input.subject`, `input.usage` and `input.time` are replaced by modelgate’s verified ' +
    'values; `input.approval`, `input.lineage` and `input.caller`, which only `/v1/decide` and AuthZEN establish, ' +
    'are dropped.',
  properties: {
    input: {
      // null is no input, as OPA reads it (some OPA clients always send the key).
      type: ['object', 'null'],
      description: 'The policy input document (see PolicyInputV1); null or absent: no input.',
      examples: [{ invocation: { model: 'anthropic.claude-sonnet', operation: 'chat' } }],
      properties: {
        // An allow reserves budget from these two, as on /v1/decide: a limit of -1 or 0.5 would read as within
        // every cap to the policy and reserve nothing, so they are held to the same bounds (anything else in an
        // invocation is the policy's to read, as OPA would pass it).
        invocation: {
          type: 'object',
          description:
            'The invocation; its token figures are checked as on /v1/decide, the rest is the policy’s.',
          examples: [{ model: 'anthropic.claude-sonnet', operation: 'chat', max_tokens: 1024 }],
          properties: {
            max_tokens: invocationSchema.properties.max_tokens,
            input_tokens: invocationSchema.properties.input_tokens,
          },
        },
        // The audit log never stores payload text: here the caller states findings, as screening would.
        payload: {
          type: 'object',
          additionalProperties: false,
          description:
            'A screening summary, never payload text; send payloads to /v1/decide to have them screened.',
          examples: [{ present: true, chars: 120, findings: { email: 1 } }],
          properties: {
            present: { type: 'boolean', description: 'Whether there was payload text.', examples: [true] },
            chars: {
              type: 'integer',
              minimum: 0,
              description: 'Characters of payload text.',
              examples: [120],
            },
            findings: {
              type: 'object',
              additionalProperties: { type: 'integer', minimum: 0 },
              description: 'Count per sensitive-data class.',
              examples: [{ email: 1 }],
            },
            categories: {
              type: 'object',
              additionalProperties: { type: 'integer', minimum: 0 },
              description: 'Count per category (`secret`, `pii`).',
              examples: [{ pii: 1 }],
            },
            rules: {
              type: 'object',
              additionalProperties: { type: 'integer', minimum: 0 },
              description: 'Count per rule id.',
              examples: [{ email: 1 }],
            },
          },
        },
      },
    },
  },
} as const;

export type DataRequestV1 = FromSchema<typeof dataRequestSchema>;
