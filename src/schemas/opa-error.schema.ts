/** An error reply of the OPA-compatible Data API, in OPA's shape so OPA's SDKs can read it. */
export const opaErrorSchema = {
  $id: 'https://modelgate.dev/schemas/opa-error.json',
  title: 'OpaErrorV1',
  type: 'object',
  description:
    "OPA's error body: `code` is OPA's code for the status; `errors` holds modelgate's reason codes, " +
    'one per problem. `decision_id` names the audit record of the refused call.',
  required: ['code', 'message'],
  properties: {
    code: {
      type: 'string',
      description: "OPA's error code.",
      examples: ['invalid_parameter', 'unauthorized', 'undefined_document', 'internal_error'],
    },
    message: { type: 'string', description: 'What is wrong.', examples: ['the token has expired'] },
    errors: {
      type: 'array',
      description: 'modelgate reason codes (see docs/api.md), with the JSON pointer of a body problem.',
      items: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
      examples: [[{ code: 'token_expired', message: 'the token has expired' }]],
    },
    decision_id: { type: 'string', description: 'The audit record of this call.', examples: ['019aa9c1-…'] },
  },
} as const;
