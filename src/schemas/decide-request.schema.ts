import type { FromSchema } from 'json-schema-to-ts';

/**
 * A name a policy matches on or a query filters by: no control characters, which no name needs and PostgreSQL's
 * text refuses (NUL), so that a decision on any backend records the name it was asked about. Query parameters
 * follow the same rule (src/server/query-params.ts).
 */
/** What an approval id looks like (a UUID, lower case), wherever one is read. */
export const APPROVAL_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
/** A page position of GET /v1/approvals, `<created_ms>.<approval id>`: the route and the OpenAPI document share it. */
export const APPROVAL_CURSOR_PATTERN = `^[0-9]{1,16}\\.${APPROVAL_ID_PATTERN.slice(1)}`;

export const NAME_PATTERN = '^[^\\u0000-\\u001f]*$';

// Astral ranges written as the characters themselves: each regex dialect reads a code point alike (ajv with its
// `u` flag, Python's re for schemathesis), where escapes differ (`\u{…}`, surrogate pairs).
const range = (from: number, to: number) => `${String.fromCodePoint(from)}-${String.fromCodePoint(to)}`;
// The tag characters, U+E0000–U+E007F, and after them the variation selectors of U+E0100–U+E01EF, which no name
// needs but ideographic variation sequences in text do (Japanese place and family names: 葛 then U+E0100).
const TAGS_AND_SUPPLEMENT = range(0xe0000, 0xe0fff);
const TAG_CHARACTERS = range(0xe0000, 0xe007f);

/**
 * A name a policy matches on (model, provider, tool): besides control characters (C0, DEL, C1), none of the
 * characters that change how a name reads and not what it matches, so that approvers and auditors see the name
 * that was decided on: bidi controls, zero-width and other invisible format characters, variation selectors,
 * Hangul fillers, and the tag characters that smuggle invisible text.
 */
export const IDENTIFIER_PATTERN =
  '^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f' +
  '\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufff8' +
  `${TAGS_AND_SUPPLEMENT}]*$`;

/**
 * Text such as a purpose: what a script needs (joiners, marks) is kept; control characters, bidi embeddings,
 * overrides and isolates, which reorder what a reader sees, and tag characters are not.
 */
export const TEXT_PATTERN = `^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069${TAG_CHARACTERS}]*$`;

const shortString = (description: string, example: string, pattern = IDENTIFIER_PATTERN) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: 256,
    pattern,
    description,
    examples: [example],
  }) as const;

/** One tool the model may call during this invocation. */
export const toolSchema = {
  $id: 'https://modelgate.dev/schemas/tool.json',
  type: 'object',
  description: 'A tool the model may call during this invocation.',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: shortString('The tool name, as the policy knows it.', 'tickets.read'),
  },
} as const;

/** Metadata about the model call: what, where, how much. */
export const invocationSchema = {
  $id: 'https://modelgate.dev/schemas/invocation.json',
  type: 'object',
  description: 'Metadata about the model call the workload is about to make.',
  additionalProperties: false,
  required: ['model', 'operation'],
  properties: {
    model: shortString('The model identifier.', 'anthropic.claude-sonnet'),
    provider: shortString('Where the model is served.', 'bedrock'),
    operation: {
      type: 'string',
      enum: ['chat', 'completion', 'embedding', 'tool_call', 'image', 'audio', 'other'],
      description: 'The kind of call.',
      examples: ['chat'],
    },
    max_tokens: {
      type: 'integer',
      minimum: 1,
      maximum: 10_000_000,
      description: 'The output token limit the caller asks for.',
      examples: [4096],
    },
    input_tokens: {
      type: 'integer',
      minimum: 0,
      maximum: 100_000_000,
      description:
        'The caller’s estimate of the input tokens. Budgets count at least one token per four characters of payload, whatever it says.',
      examples: [1200],
    },
    tools: {
      type: 'array',
      maxItems: 128,
      items: toolSchema,
      description: 'Tools offered to the model in this call.',
      examples: [[{ name: 'tickets.read' }]],
    },
    purpose: shortString(
      'Why the call is made; policies may bind identities to purposes.',
      'support-reply',
      TEXT_PATTERN,
    ),
  },
} as const;

const textPartSchema = {
  type: 'object',
  description: 'A content part; text parts are screened, other parts pass through.',
  required: ['type'],
  properties: {
    type: { type: 'string', maxLength: 64, description: 'The part type.', examples: ['text'] },
    text: { type: 'string', description: 'The text of a text part.', examples: ['Hello'] },
  },
} as const;

/** The content that would be sent to the model. Screened, never stored, never given to the policy. */
export const payloadSchema = {
  $id: 'https://modelgate.dev/schemas/payload.json',
  type: 'object',
  description:
    'The content that would be sent to the model. Screened for secrets and PII; never handed to the policy, never stored.',
  additionalProperties: false,
  properties: {
    prompt: { type: 'string', description: 'A completion prompt.', examples: ['Summarise this ticket'] },
    messages: {
      type: 'array',
      maxItems: 2048,
      description: 'Chat messages.',
      examples: [[{ role: 'user', content: 'Summarise ticket 4711' }]],
      items: {
        type: 'object',
        required: ['role', 'content'],
        additionalProperties: false,
        properties: {
          role: { type: 'string', maxLength: 64, description: 'The message role.', examples: ['user'] },
          name: {
            type: 'string',
            maxLength: 256,
            description: 'Optional participant name.',
            examples: ['alice'],
          },
          content: {
            description: 'The message content: a string or content parts.',
            examples: ['Hello'],
            anyOf: [{ type: 'string' }, { type: 'array', maxItems: 1024, items: textPartSchema }],
          },
        },
      },
    },
    input: {
      description: 'Embedding input: a string or an array of strings.',
      examples: [['first document', 'second document']],
      anyOf: [{ type: 'string' }, { type: 'array', maxItems: 4096, items: { type: 'string' } }],
    },
    arguments: { description: 'Tool-call arguments: any JSON.', examples: [{ ticket: 4711 }] },
  },
} as const;

/** POST /v1/decide request body, version 1. */
export const decideRequestSchema = {
  $id: 'https://modelgate.dev/schemas/decide-request.json',
  title: 'DecideRequestV1',
  type: 'object',
  description: 'Asks whether the calling workload may make this model invocation.',
  additionalProperties: false,
  required: ['invocation'],
  properties: {
    invocation: invocationSchema,
    payload: payloadSchema,
    context: {
      type: 'object',
      maxProperties: 64,
      description:
        'Free-form context handed to the policy as is (size-limited). `parent_decision_id` (the decision whose ' +
        'output led to this call) and `session_id` are checked and become `input.lineage` ' +
        '(see docs/investigations.md).',
      examples: [{ environment: 'prod', repository: 'corp/payments' }],
    },
    approval_id: {
      type: 'string',
      pattern: APPROVAL_ID_PATTERN,
      description:
        'The approval an earlier reply asked for; it must be bound to this caller, invocation, payload and context.',
      examples: ['0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f'],
    },
  },
} as const;

export type DecideRequestV1 = FromSchema<typeof decideRequestSchema>;
export type InvocationV1 = FromSchema<typeof invocationSchema>;
