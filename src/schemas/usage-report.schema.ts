import type { FromSchema } from 'json-schema-to-ts';

/** Body of POST /v1/decisions/{id}/usage: what the invocation really used. */
export const usageReportSchema = {
  $id: 'https://modelgate.dev/schemas/usage-report.json',
  title: 'UsageReportV1',
  type: 'object',
  description: 'What an allowed invocation really used; replaces its reservation.',
  additionalProperties: false,
  required: ['input_tokens', 'output_tokens'],
  properties: {
    input_tokens: {
      type: 'integer',
      minimum: 0,
      maximum: 100_000_000,
      description: 'Input tokens billed.',
      examples: [1180],
    },
    output_tokens: {
      type: 'integer',
      minimum: 0,
      maximum: 10_000_000,
      description: 'Output tokens billed.',
      examples: [512],
    },
    cost_usd: {
      type: 'number',
      minimum: 0,
      maximum: 1_000_000,
      description: 'Cost, if known.',
      examples: [0.0123],
    },
  },
} as const;

export type UsageReportV1 = FromSchema<typeof usageReportSchema>;
