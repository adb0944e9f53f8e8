import type { FromSchema } from 'json-schema-to-ts';

// OpenID AuthZEN Authorization API 1.0, sections 5-7. Entities keep unknown members
// (additionalProperties: true) because the spec says receivers MUST ignore unknown fields, and
// the interop suite's earlier vectors put attributes such as `ownerID` beside `type` and `id`.

const properties = {
  type: 'object',
  description: 'Additional attributes, handed to the policy as they are.',
  examples: [{ department: 'Sales' }],
} as const;

const subject = {
  type: 'object',
  required: ['type', 'id'],
  additionalProperties: true,
  description: 'The user or machine principal about whom the decision is asked (asserted by the caller).',
  examples: [{ type: 'user', id: 'alice@example.com' }],
  properties: {
    type: { type: 'string', minLength: 1, description: 'Kind of subject.', examples: ['user'] },
    id: { type: 'string', minLength: 1, description: 'Identifier within the type.', examples: ['alice'] },
    properties,
  },
} as const;

const resource = {
  type: 'object',
  required: ['type', 'id'],
  additionalProperties: true,
  description: 'The target of the request.',
  examples: [{ type: 'todo', id: 'todo-1', properties: { ownerID: 'alice@example.com' } }],
  properties: {
    type: { type: 'string', minLength: 1, description: 'Kind of resource.', examples: ['todo'] },
    id: { type: 'string', minLength: 1, description: 'Identifier within the type.', examples: ['todo-1'] },
    properties,
  },
} as const;

const action = {
  type: 'object',
  required: ['name'],
  additionalProperties: true,
  description: 'The operation the subject attempts on the resource.',
  examples: [{ name: 'can_read' }],
  properties: {
    name: { type: 'string', minLength: 1, description: 'Name of the action.', examples: ['can_read'] },
    properties,
  },
} as const;

const context = {
  type: 'object',
  description: 'Environmental attributes, handed to the policy as they are.',
  examples: [{ time: '2026-11-29T10:00:00Z' }],
} as const;

/** POST /access/v1/evaluation: one access evaluation. */
export const authzenEvaluationSchema = {
  $id: 'https://modelgate.dev/schemas/authzen-evaluation.json',
  title: 'AuthzenEvaluationV1',
  type: 'object',
  required: ['subject', 'action', 'resource'],
  additionalProperties: true,
  description: 'An AuthZEN 1.0 Access Evaluation request.',
  examples: [
    {
      subject: { type: 'user', id: 'alice@example.com' },
      action: { name: 'can_read' },
      resource: { type: 'document', id: 'doc-1' },
    },
  ],
  properties: { subject, action, resource, context },
} as const;

export type AuthzenEvaluationV1 = FromSchema<typeof authzenEvaluationSchema>;

/** The batch semantics AuthZEN 1.0 section 7.1.2 defines. */
export const EVALUATIONS_SEMANTICS = ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'] as const;

// A member that an evaluations request gives at its top level, or in every item of a non-empty `evaluations`.
function fromTopOrEveryItem<Member extends string>(member: Member) {
  // `properties` names the member beside each `required` only because ajv's strict mode asks for it.
  const named = { [member]: true } as Record<Member, true>;
  return {
    anyOf: [
      { required: [member], properties: named },
      {
        required: ['evaluations'],
        properties: {
          evaluations: {
            type: 'array',
            minItems: 1,
            items: { type: 'object', required: [member], properties: named },
          },
        },
      },
    ],
  } as const;
}

/** POST /access/v1/evaluations: top-level defaults and a list of evaluations that override them. */
export const authzenEvaluationsSchema = {
  $id: 'https://modelgate.dev/schemas/authzen-evaluations.json',
  title: 'AuthzenEvaluationsV1',
  type: 'object',
  additionalProperties: true,
  description:
    'An AuthZEN 1.0 Access Evaluations request. Top-level subject, action, resource and context are defaults ' +
    'that each item of `evaluations` may replace; without items it is a single evaluation.',
  examples: [
    {
      subject: { type: 'user', id: 'alice@example.com' },
      action: { name: 'can_read' },
      evaluations: [{ resource: { type: 'document', id: '1' } }, { resource: { type: 'document', id: '2' } }],
      options: { evaluations_semantic: 'deny_on_first_deny' },
    },
  ],
  // Section 7.1.1: each of subject, action and resource comes from the top level or from every item.
  allOf: [fromTopOrEveryItem('subject'), fromTopOrEveryItem('action'), fromTopOrEveryItem('resource')],
  properties: {
    subject,
    action,
    resource,
    context,
    evaluations: {
      type: 'array',
      maxItems: 1000,
      description: 'The evaluations, answered in this order.',
      examples: [[{ resource: { type: 'document', id: '1' } }]],
      items: {
        type: 'object',
        additionalProperties: true,
        description: 'One evaluation; members it omits come from the top level.',
        examples: [{ resource: { type: 'document', id: '1' } }],
        properties: { subject, action, resource, context },
      },
    },
    options: {
      type: 'object',
      additionalProperties: true,
      description: 'How the batch is executed.',
      examples: [{ evaluations_semantic: 'execute_all' }],
      properties: {
        evaluations_semantic: {
          type: 'string',
          enum: EVALUATIONS_SEMANTICS,
          description: 'execute_all (default), deny_on_first_deny or permit_on_first_permit.',
          examples: ['execute_all'],
        },
      },
    },
  },
} as const;

export type AuthzenEvaluationsV1 = FromSchema<typeof authzenEvaluationsSchema>;

const decision = {
  type: 'object',
  required: ['decision'],
  additionalProperties: false,
  description: 'An AuthZEN decision: `context` carries the decision id, reasons and obligations.',
  examples: [{ decision: true, context: { decision_id: '0193a8f2-0000-7000-8000-000000000000' } }],
  properties: {
    decision: { type: 'boolean', description: 'true: permit; false: deny.', examples: [true] },
    context: {
      type: 'object',
      description: 'decision_id (the audit record), reasons and obligations of the policy.',
      examples: [{ decision_id: '0193a8f2-0000-7000-8000-000000000000', obligations: [] }],
    },
  },
} as const;

/** The reply of /access/v1/evaluation. */
export const authzenDecisionSchema = {
  $id: 'https://modelgate.dev/schemas/authzen-decision.json',
  title: 'AuthzenDecisionV1',
  ...decision,
} as const;

/** The reply of /access/v1/evaluations with items: one decision per evaluation that ran, in order. */
export const authzenDecisionsSchema = {
  $id: 'https://modelgate.dev/schemas/authzen-decisions.json',
  title: 'AuthzenDecisionsV1',
  type: 'object',
  required: ['evaluations'],
  additionalProperties: false,
  description: 'Decisions in request order; a short-circuiting semantic stops after the deciding one.',
  examples: [{ evaluations: [{ decision: true }, { decision: false }] }],
  properties: {
    evaluations: {
      type: 'array',
      description: 'One decision per evaluation that ran.',
      examples: [[{ decision: true }]],
      items: decision,
    },
  },
} as const;

/** GET /.well-known/authzen-configuration. */
export const authzenMetadataSchema = {
  $id: 'https://modelgate.dev/schemas/authzen-metadata.json',
  title: 'AuthzenMetadataV1',
  type: 'object',
  required: ['policy_decision_point', 'access_evaluation_endpoint'],
  additionalProperties: false,
  description: 'AuthZEN Policy Decision Point metadata (section 9).',
  examples: [
    {
      policy_decision_point: 'https://modelgate.example.com',
      access_evaluation_endpoint: 'https://modelgate.example.com/access/v1/evaluation',
      access_evaluations_endpoint: 'https://modelgate.example.com/access/v1/evaluations',
    },
  ],
  properties: {
    policy_decision_point: {
      type: 'string',
      description: 'The PDP identifier.',
      examples: ['https://modelgate.example.com'],
    },
    access_evaluation_endpoint: {
      type: 'string',
      description: 'URL of the Access Evaluation API.',
      examples: ['https://modelgate.example.com/access/v1/evaluation'],
    },
    access_evaluations_endpoint: {
      type: 'string',
      description: 'URL of the Access Evaluations API.',
      examples: ['https://modelgate.example.com/access/v1/evaluations'],
    },
  },
} as const;
