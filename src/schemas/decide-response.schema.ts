import { approvalRefSchema } from './approval.schema';
import { obligationSchema, reasonSchema } from './decision-document.schema';

const decisionId = {
  type: 'string',
  description: 'Time-ordered id (UUIDv7) of this decision; the key of its audit record.',
  examples: ['0193a8f2-5b6c-7d4e-8f90-a1b2c3d4e5f6'],
} as const;

/** Which policy made the decision. */
export const policyRefSchema = {
  $id: 'https://modelgate.dev/schemas/policy-ref.json',
  type: 'object',
  description: 'The bundle and entrypoint that decided.',
  additionalProperties: false,
  required: ['bundle', 'revision', 'entrypoint'],
  properties: {
    bundle: { type: 'string', description: 'Bundle name.', examples: ['modelgate'] },
    revision: {
      type: 'string',
      description: 'Bundle revision from its .manifest.',
      examples: ['rego-3f9c2a1'],
    },
    entrypoint: {
      type: 'string',
      description: 'The evaluated entrypoint.',
      examples: ['modelgate/decision'],
    },
  },
} as const;

/** POST /v1/decide reply (version 1), also the shape of every error reply of /v1/decide. */
export const decideResponseSchema = {
  $id: 'https://modelgate.dev/schemas/decide-response.json',
  title: 'DecideResponseV1',
  type: 'object',
  description: 'The decision. Callers go ahead only when `allow` is true, applying every obligation.',
  additionalProperties: false,
  required: ['decision_id', 'allow', 'reasons', 'obligations'],
  properties: {
    decision_id: decisionId,
    allow: { type: 'boolean', description: 'Go ahead or not.', examples: [true] },
    reasons: {
      type: 'array',
      items: reasonSchema,
      description: 'Reason codes and messages.',
      examples: [[]],
    },
    obligations: {
      type: 'array',
      items: obligationSchema,
      description: 'What the caller must apply.',
      examples: [[{ type: 'cap_tokens', max_tokens: 1024 }]],
    },
    max_tokens: {
      type: ['integer', 'null'],
      description:
        'Effective output token limit: the minimum of the request and every cap_tokens obligation.',
      examples: [1024],
    },
    redacted_payload: {
      type: 'object',
      description: 'The request payload with the spans named by redact obligations masked; send this one.',
      examples: [{ messages: [{ role: 'user', content: 'Mail [REDACTED:email]' }] }],
    },
    policy: policyRefSchema,
    approval: approvalRefSchema,
    errors: {
      type: 'array',
      description: 'On a 400: every validation error, as a JSON pointer into the body and a plain message.',
      examples: [[{ pointer: '/invocation/operation', message: 'must be one of chat, completion, …' }]],
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        properties: { pointer: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** Error reply of every other endpoint: the same fail-closed fields. */
export const errorResponseSchema = {
  $id: 'https://modelgate.dev/schemas/error-response.json',
  title: 'ErrorResponseV1',
  type: 'object',
  description: 'An error: never an allow, always a reason code and the id of its audit record.',
  required: ['decision_id', 'allow', 'reasons'],
  properties: {
    decision_id: decisionId,
    allow: { const: false, description: 'Always false.', examples: [false] },
    reasons: { type: 'array', items: reasonSchema, description: 'What went wrong.', examples: [[]] },
    errors: decideResponseSchema.properties.errors,
  },
} as const;
