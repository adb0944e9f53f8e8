import { invocationSchema } from './decide-request.schema';

/** What Rego sees as `input` (policy input document, version 1). Built by modelgate, never taken from the caller. */
export const policyInputSchema = {
  $id: 'https://modelgate.dev/schemas/policy-input.json',
  title: 'PolicyInputV1',
  type: 'object',
  description: 'The policy input document modelgate builds for each decision.',
  required: ['subject', 'invocation', 'context', 'payload', 'usage', 'time'],
  properties: {
    subject: {
      type: 'object',
      description: 'The verified caller.',
      required: ['id', 'issuer', 'audience', 'scopes', 'claims', 'actor'],
      properties: {
        id: { type: 'string', description: 'The `sub` claim.', examples: ['spiffe://corp/ci/build-bot'] },
        issuer: { type: 'string', description: 'The `iss` claim.', examples: ['https://idp.corp'] },
        audience: {
          type: 'array',
          items: { type: 'string' },
          description: 'The `aud` claim.',
          examples: [['modelgate']],
        },
        scopes: {
          type: 'array',
          items: { type: 'string' },
          description: 'From `scope` (space separated) or `scp`.',
          examples: [['invoke:codegen']],
        },
        claims: { type: 'object', description: 'Every verified claim.', examples: [{}] },
        actor: {
          type: ['object', 'null'],
          description: 'The RFC 8693 `act` claim: the agent acting for the subject.',
          examples: [{ sub: 'agent:triage' }],
        },
      },
    },
    invocation: invocationSchema,
    context: {
      type: 'object',
      description: 'The request context, as sent.',
      examples: [{ environment: 'prod' }],
    },
    payload: {
      type: 'object',
      description: 'What screening found in the payload: classes and counts, never the text.',
      required: ['present', 'chars', 'findings', 'categories', 'rules'],
      properties: {
        present: { type: 'boolean', description: 'Whether the request had payload text.', examples: [true] },
        chars: { type: 'integer', description: 'Characters of payload text.', examples: [5312] },
        findings: {
          type: 'object',
          additionalProperties: { type: 'integer' },
          description: 'Count per sensitive-data class.',
          examples: [{ email: 2 }],
        },
        categories: {
          type: 'object',
          additionalProperties: { type: 'integer' },
          description: 'Count per category: `secret` (credentials) or `pii` (personal data).',
          examples: [{ secret: 1, pii: 2 }],
        },
        rules: {
          type: 'object',
          additionalProperties: { type: 'integer' },
          description:
            'Count per rule id: gitleaks rule ids (e.g. `stripe-access-token`) and the hand-written detectors (e.g. `credit-card`).',
          examples: [{ 'stripe-access-token': 1, email: 2 }],
        },
      },
    },
    usage: {
      type: 'object',
      description: 'The subject’s recent usage, for budgets and rate limits.',
      required: ['requests_last_minute', 'tokens_last_hour', 'tokens_last_day'],
      properties: {
        requests_last_minute: { type: 'integer', description: 'Sliding 60 s window.', examples: [3] },
        tokens_last_hour: { type: 'integer', description: 'Reserved or reported tokens.', examples: [18000] },
        tokens_last_day: { type: 'integer', description: 'Reserved or reported tokens.', examples: [91000] },
      },
    },
    time: {
      type: 'object',
      description: 'When the decision was made (policies never read the clock themselves).',
      required: ['now', 'unix_ms'],
      properties: {
        now: {
          type: 'string',
          format: 'date-time',
          description: 'RFC 3339 UTC.',
          examples: ['2026-11-22T10:00:00Z'],
        },
        unix_ms: { type: 'integer', description: 'Milliseconds since the epoch.', examples: [1795341600000] },
      },
    },
  },
} as const;
