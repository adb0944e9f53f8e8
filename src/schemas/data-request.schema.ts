import type { FromSchema } from 'json-schema-to-ts';

/** Body of the OPA-compatible `POST /v1/data/{path}`, as OPA's own Data API takes it. */
export const dataRequestSchema = {
  $id: 'https://modelgate.dev/schemas/data-request.json',
  title: 'DataRequestV1',
  type: 'object',
  description:
    'OPA Data API request. `input.subject`, `input.usage` and `input.time` are replaced by modelgate’s verified values.',
  properties: {
    input: {
      type: 'object',
      description: 'The policy input document (see PolicyInputV1).',
      examples: [{ invocation: { model: 'anthropic.claude-sonnet', operation: 'chat' } }],
    },
  },
} as const;

export type DataRequestV1 = FromSchema<typeof dataRequestSchema>;
