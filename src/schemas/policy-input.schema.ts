import { approvalInputSchema } from './approval.schema';
import { invocationSchema } from './decide-request.schema';

const lineageLink = (description: string) =>
  ({
    type: ['object', 'null'],
    description,
    required: ['decision_id', 'subject', 'actor', 'model', 'operation', 'purpose', 'tools'],
    properties: {
      decision_id: { type: 'string', description: 'Its decision id.', examples: ['0193a8f2-...'] },
      subject: {
        type: ['string', 'null'],
        description: 'Its subject.',
        examples: ['spiffe://corp/agents/triage'],
      },
      actor: { type: ['string', 'null'], description: 'Its act.sub.', examples: ['agent:triage'] },
      model: { type: ['string', 'null'], description: 'Its model.', examples: ['anthropic.claude-sonnet'] },
      operation: { type: ['string', 'null'], description: 'Its operation.', examples: ['chat'] },
      purpose: {
        type: ['string', 'null'],
        description: 'Its declared purpose.',
        examples: ['ticket-triage'],
      },
      tools: {
        type: 'array',
        items: { type: 'string' },
        description: 'Names of the tools it offered the model.',
        examples: [['tickets.read']],
      },
    },
  }) as const;

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
          description: "The `aud` claim, or the issuer's `audience_claim` (e.g. Cognito `client_id`).",
          examples: [['modelgate']],
        },
        scopes: {
          type: 'array',
          items: { type: 'string' },
          description:
            "From the issuer's `scope_claims` (default `scope` and `scp`; each space separated or an array), less any the issuer may not grant (its `allowed_scopes`).",
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
        chars: {
          type: 'integer',
          description: 'Characters of payload text: string values, object keys and numbers.',
          examples: [5312],
        },
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
    approval: approvalInputSchema,
    lineage: {
      type: 'object',
      description:
        'Where the call sits in a chain of decisions. Present only when the request names ' +
        '`context.parent_decision_id` or `context.session_id`, or carries a valid W3C `traceparent`.',
      required: ['parent_id', 'root_id', 'depth', 'session_id', 'trace_id', 'parent', 'root'],
      properties: {
        parent_id: {
          type: ['string', 'null'],
          description: 'The checked parent decision (exists, allowed, recent, same subject or actor chain).',
          examples: ['0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f'],
        },
        root_id: {
          type: ['string', 'null'],
          description: 'The first decision of the chain; null when this call starts one.',
          examples: ['0193a8f0-0000-7000-8000-000000000001'],
        },
        depth: {
          type: 'integer',
          minimum: 0,
          description: 'Parent depth + 1; 0 without a parent.',
          examples: [2],
        },
        session_id: {
          type: ['string', 'null'],
          description: '`context.session_id`, else the parent’s.',
          examples: ['chat-4711'],
        },
        trace_id: {
          type: ['string', 'null'],
          description: 'Trace id of the W3C `traceparent` header (an invalid header is ignored).',
          examples: ['4bf92f3577b34da6a3ce929d0e0e4736'],
        },
        parent: lineageLink('The parent decision: what it asked for.'),
        root: lineageLink('The first decision of the chain: its purpose and model.'),
      },
    },
  },
} as const;
