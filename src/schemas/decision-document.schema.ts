/** A reason attached to a decision: a stable code and a message for humans. */
export const reasonSchema = {
  $id: 'https://modelgate.dev/schemas/reason.json',
  type: 'object',
  description: 'Why a decision came out the way it did.',
  required: ['code'],
  properties: {
    code: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_]*$',
      maxLength: 64,
      description: 'Stable, machine-readable reason code.',
      examples: ['budget_exhausted'],
    },
    message: {
      type: 'string',
      maxLength: 1024,
      description: 'A plain sentence.',
      examples: ['daily budget used'],
    },
  },
} as const;

/** An obligation: something the caller must do if it goes ahead. Unknown types pass through. */
export const obligationSchema = {
  $id: 'https://modelgate.dev/schemas/obligation.json',
  type: 'object',
  description:
    'A condition attached to the decision. Known types are enforced by modelgate; others pass through.',
  required: ['type'],
  properties: {
    type: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'Obligation type.',
      examples: ['cap_tokens'],
    },
  },
  allOf: [
    {
      if: { properties: { type: { const: 'cap_tokens' } }, required: ['type'] },
      then: {
        required: ['max_tokens'],
        properties: { max_tokens: { type: 'integer', minimum: 0 } },
      },
    },
    {
      if: { properties: { type: { const: 'redact' } }, required: ['type'] },
      then: {
        required: ['classes'],
        properties: { classes: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 64 } },
      },
    },
    {
      if: { properties: { type: { const: 'require_approval' } }, required: ['type'] },
      then: {
        properties: {
          reason: { type: 'string', maxLength: 1024 },
          approvers: { type: 'string', minLength: 1, maxLength: 256 },
          ttl_seconds: { type: 'integer', minimum: 60, maximum: 2592000 },
          max_uses: { type: 'integer', minimum: 1, maximum: 1000 },
        },
      },
    },
  ],
} as const;

/** What the policy entrypoint must return (decision document, version 1). */
export const decisionDocumentSchema = {
  $id: 'https://modelgate.dev/schemas/decision-document.json',
  title: 'DecisionV1',
  type: 'object',
  description: 'The document the policy entrypoint returns.',
  required: ['allow'],
  properties: {
    allow: { type: 'boolean', description: 'Whether the invocation may go ahead.', examples: [true] },
    reasons: { type: 'array', maxItems: 256, items: reasonSchema, description: 'Why.', examples: [[]] },
    obligations: {
      type: 'array',
      maxItems: 256,
      items: obligationSchema,
      description: 'Conditions on an allow.',
      examples: [[{ type: 'cap_tokens', max_tokens: 1024 }]],
    },
  },
  // `reasons` is required when allow is false: a deny must say why.
  if: { properties: { allow: { const: false } }, required: ['allow'] },
  then: { required: ['reasons'], properties: { reasons: { type: 'array', minItems: 1 } } },
} as const;

export type ReasonV1 = { code: string; message?: string };
export type ObligationV1 = { type: string; [key: string]: unknown };
export type DecisionV1 = { allow: boolean; reasons?: ReasonV1[]; obligations?: ObligationV1[] };
