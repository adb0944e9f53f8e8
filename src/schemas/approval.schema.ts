import type { FromSchema } from 'json-schema-to-ts';

const approvalId = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'Id of the approval (UUIDv7).',
  examples: ['0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f'],
} as const;

const status = {
  type: 'string',
  enum: ['pending', 'approved', 'denied', 'expired', 'used_up'],
  description: 'Where the approval stands.',
  examples: ['pending'],
} as const;

/** The `approval` field of a /v1/decide reply that needs one. */
export const approvalRefSchema = {
  $id: 'https://modelgate.dev/schemas/approval-ref.json',
  type: 'object',
  description:
    'The approval this request needs. Ask again with `approval_id` once an approver has approved it.',
  additionalProperties: false,
  required: ['id', 'status', 'expires_at', 'approvers'],
  properties: {
    id: approvalId,
    status,
    expires_at: {
      type: 'string',
      format: 'date-time',
      description: 'When the request lapses if nobody decides it.',
      examples: ['2026-11-22T11:00:00.000Z'],
    },
    approvers: {
      type: ['string', 'null'],
      description: 'The group or role the policy named as approvers; null: any approver.',
      examples: ['platform-leads'],
    },
  },
} as const;

/** The policy input's `approval`, present when the request carries an approval_id. */
export const approvalInputSchema = {
  $id: 'https://modelgate.dev/schemas/approval-input.json',
  type: 'object',
  description: 'The approval the caller presented, after modelgate checked it is bound to this request.',
  required: ['id', 'status', 'approved_by', 'approved_at', 'uses_left'],
  properties: {
    id: approvalId,
    status,
    approved_by: { type: ['string', 'null'], description: 'Subject of the approver.', examples: ['alice'] },
    approved_at: {
      type: ['string', 'null'],
      description: 'When it was approved.',
      examples: ['2026-11-22T10:05:00.000Z'],
    },
    uses_left: { type: 'integer', description: 'Uses left of the grant.', examples: [1] },
  },
} as const;

/** POST /v1/approvals/{id}/approve and /deny. */
export const approvalActionSchema = {
  $id: 'https://modelgate.dev/schemas/approval-action.json',
  title: 'ApprovalActionV1',
  type: 'object',
  description:
    'An approver’s verdict; the comment is screened like the request’s context (every finding redacted), then kept ' +
    'with the approval and recorded in the audit log.',
  additionalProperties: false,
  properties: {
    comment: {
      type: 'string',
      maxLength: 1024,
      // Tab and line breaks are a comment's; other control characters are no one's, and PostgreSQL's text
      // cannot hold U+0000 (the verdict failed with a 500 there).
      pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$',
      description:
        'Why; shown to auditors. Lines and tabs, no other control characters. Secrets and personal data found in it ' +
        'are kept as `[REDACTED:<class>]`.',
      examples: ['one-off pipeline fix, reviewed in PR 4711'],
    },
  },
} as const;

/** What an approver sees of a request: never the payload, only finding counts. */
export const approvalSummarySchema = {
  $id: 'https://modelgate.dev/schemas/approval-summary.json',
  title: 'ApprovalSummaryV1',
  type: 'object',
  description: 'A request for approval as approvers see it. The payload is never stored, so never shown.',
  required: ['id', 'status', 'created_at', 'expires_at', 'requester', 'invocation', 'findings', 'reasons'],
  properties: {
    id: approvalId,
    status,
    created_at: { type: 'string', format: 'date-time', description: 'Asked at.', examples: [] },
    expires_at: {
      type: 'string',
      format: 'date-time',
      description: 'Lapses (pending) or the grant ends (approved).',
      examples: [],
    },
    request_decision_id: { type: 'string', description: 'The decision that asked.', examples: [] },
    requester: {
      type: 'object',
      description:
        'Verified subject, issuer and acting agent; `prior_actors`, the subjects of nested `act` claims (outermost first), when there are any.',
      examples: [
        { subject: 'spiffe://corp/dev/coding-assistant', issuer: 'https://idp', actor: 'agent:x' },
        {
          subject: 'spiffe://corp/dev/coding-assistant',
          issuer: 'https://idp',
          actor: 'agent:x',
          prior_actors: ['user:dave@corp'],
        },
      ],
    },
    invocation: {
      type: 'object',
      description: 'model, provider, operation, purpose, tools.',
      examples: [{ model: 'anthropic.claude-sonnet', operation: 'tool_call', tools: ['pipelines.update'] }],
    },
    context: {
      description:
        'The request’s context as the audit log keeps it: screened, findings redacted, `[truncated: N bytes]` past the record’s context limit.',
      examples: [{ environment: 'staging', repository: 'corp/webapp' }],
    },
    findings: {
      type: 'object',
      description: 'Finding class -> count in the payload.',
      examples: [{ email: 1 }],
    },
    reasons: { type: 'array', items: { type: 'string' }, description: 'The policy’s reasons.', examples: [] },
    approvers: { type: ['string', 'null'], description: 'Who may decide.', examples: ['platform-leads'] },
    max_uses: { type: 'integer', description: 'Uses a grant allows.', examples: [1] },
    uses_left: { type: 'integer', description: 'Uses left.', examples: [1] },
    ttl_seconds: {
      type: 'integer',
      description: 'Lifetime of the request and of the grant.',
      examples: [3600],
    },
    decided_by: { type: ['string', 'null'], description: 'Approver subject.', examples: [] },
    decided_at: { type: ['string', 'null'], description: 'When decided.', examples: [] },
    comment: { type: ['string', 'null'], description: 'The approver’s comment.', examples: [] },
    can_decide: {
      type: 'boolean',
      description: 'Whether the caller may approve or deny it now (scope, policy, not their own, pending).',
      examples: [true],
    },
  },
} as const;

export type ApprovalActionV1 = FromSchema<typeof approvalActionSchema>;
export type ApprovalRefV1 = FromSchema<typeof approvalRefSchema>;
