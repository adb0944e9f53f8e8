import { CURSOR_PATTERN } from '../audit/audit-query';
import { authzenComponents, authzenPaths } from './authzen-openapi';
import { approvalActionSchema, approvalRefSchema, approvalSummarySchema } from './approval.schema';
import { dataRequestSchema } from './data-request.schema';
import { APPROVAL_CURSOR_PATTERN, decideRequestSchema, NAME_PATTERN } from './decide-request.schema';
import { decideResponseSchema, errorResponseSchema } from './decide-response.schema';
import { decisionDocumentSchema } from './decision-document.schema';
import { opaErrorSchema } from './opa-error.schema';
import { policyInputSchema } from './policy-input.schema';
import { usageReportSchema } from './usage-report.schema';
import { readinessSchema } from './readiness.schema';
import { statusSchema } from './status.schema';
import { replayRequestSchema } from './replay-request.schema';
import { instantSchema, sinceSchema } from './time.schema';
import { MODELGATE_VERSION } from '../version';

type Schema = { $id?: string; [key: string]: unknown };

// Components are the validation schemas themselves, minus `$id` (OpenAPI names them instead).
function component(schema: Schema): Schema {
  const rest = { ...schema };
  delete rest.$id;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const errorReply = (description: string) => ({ description, content: json('ErrorResponseV1') });
// A feature that reads the SQLite audit file, on a service whose log is in PostgreSQL (docs/operations.md).
const notOnPostgres = (feature: string) =>
  errorReply(
    `\`not_available_on_postgres\`: the audit log is in PostgreSQL (\`database.url\`); ${feature} reads SQLite only.`,
  );
const opaErrorReply = (description: string) => ({ description, content: json('OpaErrorV1') });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
// A DPoP key over its share of the replay cache: its proofs are refused, everyone else's go on (docs/api.md).
const QUOTA_REPLY =
  '`dpop_replay_quota_exceeded`: this DPoP key sent more proofs in one window than `dpop.replay_entries_per_key`.';
// The replay cache's own 503s, added to each DPoP route's 503: a proof that cannot be remembered is refused.
const REPLAY_CACHE_UNAVAILABLE =
  ' With DPoP: `dpop_replay_cache_full` (this replica’s replay cache holds `dpop.replay_cache_entries` live ' +
  'proofs) or `dpop_replay_cache_unavailable` (on PostgreSQL, the replay cache the replicas share cannot take ' +
  'the proof).';
// Either scheme: a bearer token, or a token bound to a key with a DPoP proof of it (docs/api.md).
const bearer = [{ bearer: [] }, { dpop: [] }];
// Said explicitly, so that no reader (or linter) takes a public route for one that forgot its security.
const publicRoute: never[] = [];
// An empty value or a control character is refused (400), like an unknown or repeated parameter
// (src/server/query-params.ts).
const NAME = { type: 'string', minLength: 1, pattern: NAME_PATTERN };
const queryParam = (name: string, description: string, schema: object = NAME) => ({
  name,
  in: 'query',
  description,
  schema,
});

// Decision and approval ids are UUIDv7s that modelgate made; any other id is simply not found (404).
const idParam = (what: 'decision' | 'approval') => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what}'s id (a UUIDv7).`,
  schema: { type: 'string', format: 'uuid' },
});

const dataPathParam = {
  name: 'path',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  example: 'modelgate/decision',
};
const dataResponses = {
  '200': {
    description:
      '`result` is absent when the path is undefined, as with OPA, and when it is no entrypoint of the ' +
      'bundle (then `warning` names the entrypoints). `warning` also says when a POST gave no `input`.',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['decision_id'],
          properties: {
            decision_id: { type: 'string' },
            result: {},
            warning: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', const: 'api_usage_warning' },
                message: { type: 'string' },
              },
            },
            metrics: {
              type: 'object',
              description: "With `?metrics`: nanoseconds, in OPA's names.",
              properties: {
                timer_rego_query_eval_ns: { type: 'integer' },
                timer_server_handler_ns: { type: 'integer' },
              },
            },
            provenance: {
              type: 'object',
              description: "With `?provenance`: modelgate's version and each bundle's revision.",
              properties: { version: { type: 'string' }, bundles: { type: 'object' } },
            },
          },
        },
      },
    },
  },
  '400': opaErrorReply('The body or the input is invalid.'),
  '401': opaErrorReply('The token was refused.'),
  '413': opaErrorReply('The body is too large.'),
  '415': opaErrorReply(
    'The body is YAML, or its charset is not UTF-8 (any other Content-Type is read as JSON).',
  ),
  '429': opaErrorReply(QUOTA_REPLY),
  '503': opaErrorReply('No policy is loaded, or the audit log cannot record.'),
};

// OPA's Data API flags: empty, `true`, `t` or `1` turns one on; any other value leaves it off, as with OPA.
const dataFlags = [
  { name: 'metrics', description: "Add `metrics` (timings, in OPA's names)." },
  { name: 'provenance', description: 'Add `provenance` (version and bundle revisions).' },
].map(({ name, description }) => ({
  name,
  in: 'query',
  description: `${description} On when empty, \`true\`, \`t\` or \`1\`.`,
  allowEmptyValue: true,
  schema: { type: 'string' },
}));

// OPA's Data API, with or without a policy path: the same operations, as OPA serves them.
const dataOperations = (pathParams: object[], suffix: string) => ({
  post: {
    operationId: `evaluateData${suffix}`,
    summary: 'OPA-compatible Data API: evaluate a policy path on an input',
    description:
      'As OPA reads it: any Content-Type but YAML is JSON; an empty body, `{}` or `"input": null` is no input.',
    security: bearer,
    parameters: [...pathParams, ...dataFlags],
    requestBody: { required: false, content: json('DataRequestV1') },
    responses: dataResponses,
  },
  get: {
    operationId: `evaluateData${suffix}Get`,
    summary: 'OPA-compatible Data API, GET form: the input as JSON in the `input` query parameter',
    security: bearer,
    parameters: [
      {
        name: 'input',
        in: 'query',
        description: 'The input document as JSON text (optional).',
        content: { 'application/json': { schema: dataRequestSchema.properties.input } },
      },
      ...pathParams,
      ...dataFlags,
    ],
    responses: dataResponses,
  },
});

// OPA's health check: `bundles` and `plugins` are flags (their value is not read).
const healthFlag = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  allowEmptyValue: true,
  schema: { type: 'string' },
});

// An OpenAPI link: the operation a client calls next, its `id` taken from this reply at `pointer`.
const linkTo = (operationId: string, pointer: string) => ({
  operationId,
  parameters: { id: `$response.body#${pointer}` },
});

// What a client does next with a recorded decision's id (schemathesis' stateful phase follows these too).
const decisionLinks = {
  GetDecision: linkTo('getDecision', '/decision_id'),
  GetDecisionLineage: linkTo('getDecisionLineage', '/decision_id'),
  ReportUsage: linkTo('reportUsage', '/decision_id'),
};

const approvalReply = {
  'application/json': {
    schema: {
      type: 'object',
      required: ['approval', 'decision_id'],
      properties: { approval: ref('ApprovalSummaryV1'), decision_id: { type: 'string' } },
    },
  },
};

// approve and deny differ only in their verb.
function decideApprovalOperation(verb: 'Approve' | 'Deny'): Record<string, unknown> {
  return {
    operationId: `${verb.toLowerCase()}Approval`,
    summary: `${verb} a pending approval (approver scope; the policy's approve entrypoint must allow it)`,
    security: bearer,
    parameters: [idParam('approval')],
    requestBody: { required: true, content: json('ApprovalActionV1') },
    responses: {
      '200': {
        description: 'Decided and recorded; `decision_id` is the id of the audit record.',
        content: approvalReply,
      },
      '400': errorReply('The body is invalid.'),
      '401': errorReply('The token was refused.'),
      '403': errorReply('scope_missing, self_approval or approval_forbidden (the policy said no); recorded.'),
      '404': errorReply('No such approval.'),
      '409': errorReply('approval_not_pending: already decided or expired.'),
      '503': errorReply('No policy with the approve entrypoint is loaded, or the audit log cannot record.'),
    },
  };
}

/** Returns the OpenAPI 3.1 document of the HTTP API, built from the same schemas ajv validates with. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'modelgate',
      version: MODELGATE_VERSION,
      description:
        'Policy decisions for AI model invocations. Every decision is recorded in a tamper-evident audit log.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the service that serves this document.
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        dpop: {
          type: 'http',
          scheme: 'DPoP',
          bearerFormat: 'JWT',
          description:
            'RFC 9449: a JWT bound to a key (cnf.jkt), with a DPoP header holding a proof of that key for this request ' +
            '(typ dpop+jwt; jti, htm, htu, iat, ath). Taken when the dpop section is configured; a token bound to a ' +
            'key is refused as bearer.',
        },
      },
      headers: {
        'WWW-Authenticate': {
          description:
            'The challenge of a 401 (RFC 6750; RFC 9449 section 7.1): `error` is `invalid_token`, ' +
            '`invalid_dpop_proof` or `use_dpop_nonce`, `error_description` the reason code, and with dpop ' +
            'configured `algs` lists the proof algorithms taken.',
          schema: {
            type: 'string',
            examples: [
              'DPoP error="use_dpop_nonce", error_description="dpop_nonce_missing", algs="ES256 PS256"',
            ],
          },
        },
        'DPoP-Nonce': {
          description:
            'With dpop.nonce configured, on every reply: the nonce to put in the next DPoP proof (RFC 9449 ' +
            'section 8). A 401 `use_dpop_nonce` asks for a new proof with it.',
          schema: { type: 'string', pattern: '^[!#-\\[\\]-~]+$', examples: ['pCBdWsZ4Qm0o6DcrRmQ8mA'] },
        },
        'Retry-After': {
          description:
            'Seconds to wait before trying again (RFC 9110 section 10.2.3): on a 429 the DPoP replay window, by ' +
            'when every proof of the key has left the cache; on a 503 when the replay cache or the audit log ' +
            'is expected to take requests again.',
          schema: { type: 'string', pattern: '^[0-9]+$', examples: ['120'] },
        },
      },
      schemas: {
        DecideRequestV1: component(decideRequestSchema),
        DecideResponseV1: component(decideResponseSchema),
        ErrorResponseV1: component(errorResponseSchema),
        DecisionV1: component(decisionDocumentSchema),
        PolicyInputV1: component(policyInputSchema),
        DataRequestV1: component(dataRequestSchema),
        OpaErrorV1: component(opaErrorSchema),
        UsageReportV1: component(usageReportSchema),
        ...authzenComponents,
        StatusV1: component(statusSchema),
        ReadinessV1: component(readinessSchema),
        ApprovalRefV1: component(approvalRefSchema),
        ApprovalSummaryV1: component(approvalSummarySchema),
        ApprovalActionV1: component(approvalActionSchema),
        ReplayRequestV1: component(replayRequestSchema),
      },
    },
    paths: {
      '/v1/decide': {
        post: {
          operationId: 'decide',
          summary: 'Decide whether the caller may make this model invocation',
          security: bearer,
          requestBody: { required: true, content: json('DecideRequestV1') },
          responses: {
            '200': {
              description:
                'A decision (allow or deny), recorded. A deny `approval_required` carries `approval`: ask again ' +
                'with `approval_id` once it is approved.',
              content: json('DecideResponseV1'),
              links: {
                ...decisionLinks,
                GetApproval: linkTo('getApproval', '/approval/id'),
              },
            },
            '400': errorReply('The body is invalid: every problem as a JSON pointer.'),
            '401': errorReply('The token was refused; see WWW-Authenticate and the reason code.'),
            '403': errorReply('approval_mismatch: the approval_id is not bound to this caller and request.'),
            '413': errorReply('The body or the payload text is too large.'),
            '415': errorReply('The body is not JSON.'),
            '503': errorReply('No policy is loaded, the policy failed, or the audit log cannot record.'),
          },
        },
      },
      '/v1/data/{path}': dataOperations([dataPathParam], ''),
      // The root document: a WASM bundle answers for its entrypoints only, so no result and a warning.
      '/v1/data': dataOperations([], 'Root'),
      '/': {
        post: {
          operationId: 'evaluateDefaultDecision',
          summary: "OPA's default decision: the body is the input, the reply the bare result",
          description:
            'Evaluates `default_decision` (default: `entrypoint`). The decision id is in `X-Modelgate-Decision-Id`.',
          security: bearer,
          // The input as the Data API takes it: modelgate sets subject, usage and time, drops approval, lineage and
          // caller; payload is a summary.
          requestBody: {
            required: false,
            content: { 'application/json': { schema: dataRequestSchema.properties.input } },
          },
          responses: {
            '200': {
              description: 'The policy result itself.',
              content: { 'application/json': { schema: {} } },
            },
            '400': opaErrorReply('The body is invalid.'),
            '401': opaErrorReply('The token was refused.'),
            '404': opaErrorReply('The default decision is undefined (`undefined_document`).'),
            '413': opaErrorReply('The body is too large.'),
            '415': opaErrorReply('The body is YAML, or its charset is not UTF-8.'),
            '429': opaErrorReply(QUOTA_REPLY),
            '503': opaErrorReply('No policy is loaded, or the audit log cannot record.'),
          },
        },
      },
      '/v1/decisions': {
        get: {
          operationId: 'queryDecisions',
          summary: 'Query the audit log, newest first (auditor scope)',
          security: bearer,
          parameters: [
            queryParam('subject', 'Only this subject.'),
            queryParam('model', 'Only this model.'),
            queryParam('outcome', 'allowed, denied or rejected.', {
              type: 'string',
              enum: ['allowed', 'denied', 'rejected'],
            }),
            queryParam('reason', 'Only records carrying this reason code.'),
            queryParam('from', 'RFC 3339 date or date-time with a zone; inclusive.', instantSchema),
            queryParam(
              'to',
              'RFC 3339 date or date-time with a zone; exclusive, not before from.',
              instantSchema,
            ),
            queryParam('limit', 'Page size, 1 to 500 (default 50).', {
              type: 'integer',
              minimum: 1,
              maximum: 500,
            }),
            queryParam('cursor', '`next_cursor` of the previous page: `<ts_ms>.<seq>` of its last record.', {
              type: 'string',
              pattern: CURSOR_PATTERN,
            }),
          ],
          responses: {
            '200': { description: '`records` and `next_cursor` (null on the last page).' },
            '400': errorReply('An unknown or malformed filter.'),
            '401': errorReply('The token was refused.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '503': errorReply('The audit log cannot record, or the issuer’s keys cannot be fetched.'),
          },
        },
      },
      '/v1/decisions/{id}': {
        get: {
          operationId: 'getDecision',
          summary: 'One audit record (auditor scope)',
          security: bearer,
          parameters: [idParam('decision')],
          responses: {
            '200': { description: '`record`: the stored record with seq, prev_hash and hash.' },
            '401': errorReply('The token was refused.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '404': errorReply('No such decision.'),
            '503': errorReply('The audit log cannot record, or the issuer’s keys cannot be fetched.'),
          },
        },
      },
      '/v1/decisions/{id}/lineage': {
        get: {
          operationId: 'getDecisionLineage',
          summary: 'A decision’s chain: ancestors up to the root, and descendants (auditor scope)',
          security: bearer,
          parameters: [idParam('decision')],
          responses: {
            '200': {
              description:
                '`ancestors` (root first), `decision` with its descendants nested in `children`, ' +
                'each with outcome, reasons, subject, actor, operation, model, purpose and tools; `truncated`; ' +
                '`ancestors_complete` (false when a pruned parent or the 256-ancestor cap stopped the walk up).',
            },
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '404': errorReply('No such decision.'),
          },
        },
      },
      '/v1/decisions/{id}/usage': {
        post: {
          operationId: 'reportUsage',
          summary: 'Report what an allowed invocation really used; replaces its reservation',
          security: bearer,
          parameters: [idParam('decision')],
          requestBody: { required: true, content: json('UsageReportV1') },
          responses: {
            '201': { description: 'Recorded.' },
            '400': errorReply('The report is invalid.'),
            '401': errorReply('The token was refused.'),
            '403': errorReply(
              'The decision belongs to another subject (and the caller is no trusted reporter).',
            ),
            '404': errorReply('No such decision.'),
            '409': errorReply('Already reported, not an allow, or the reservation expired.'),
            '413': errorReply('The body is too large.'),
            '415': errorReply('The body is not JSON.'),
            '503': errorReply('The audit log or the usage ledger cannot record.'),
          },
        },
      },
      '/v1/usage': {
        get: {
          operationId: 'getUsage',
          summary: 'The caller’s usage and limits (auditors may ask for any subject)',
          security: bearer,
          parameters: [
            queryParam('subject', 'Another subject (auditor scope).'),
            queryParam('model', 'Also show this model.'),
          ],
          responses: {
            '200': { description: 'Counters, reports of the last day, and the policy’s limits.' },
            '401': errorReply('The token was refused.'),
            '403': errorReply('Another subject without the auditor scope.'),
            '503': errorReply('The audit log cannot record, or the issuer’s keys cannot be fetched.'),
          },
        },
      },
      '/v1/status': {
        get: {
          operationId: 'getStatus',
          summary:
            'Policy bundles in force, issuers’ verification keys, and other sections (auditor or operator scope)',
          security: bearer,
          responses: {
            '200': { description: 'One section per concern.', content: json('StatusV1') },
            '403': errorReply('The token has neither the auditor nor the operator scope (recorded).'),
          },
        },
      },
      '/v1/audit/verify': {
        get: {
          operationId: 'verifyAuditLog',
          summary: 'Walk the hash chain and signed checkpoints (auditor scope)',
          security: bearer,
          responses: {
            '200': {
              description:
                '`ok: true` with records and head (with a signing key, `checkpoints.last` is the signed checkpoint ' +
                'to keep as the next verify’s witness), or `ok: false` with the first break and why.',
            },
            '401': errorReply('The token was refused.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '503': errorReply('The audit log cannot record, or the issuer’s keys cannot be fetched.'),
          },
        },
      },
      '/v1/approvals': {
        get: {
          operationId: 'listApprovals',
          summary: 'Approval requests, newest first (approver or auditor scope)',
          security: bearer,
          parameters: [
            queryParam('status', 'pending (default), approved, denied, expired, used_up, or all.', {
              type: 'string',
              enum: ['pending', 'approved', 'denied', 'expired', 'used_up', 'all'],
            }),
            queryParam('limit', 'At most this many, 1 to 200 (default 50).', {
              type: 'integer',
              minimum: 1,
              maximum: 200,
            }),
            queryParam('cursor', 'The `next_cursor` of the previous page.', {
              type: 'string',
              pattern: APPROVAL_CURSOR_PATTERN,
            }),
          ],
          responses: {
            '200': {
              description:
                '`approvals`: summaries, each with `can_decide` for the caller; `next_cursor`: the next page, or null.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['approvals', 'next_cursor', 'decision_id'],
                    properties: {
                      approvals: { type: 'array', items: ref('ApprovalSummaryV1') },
                      next_cursor: { type: ['string', 'null'] },
                      decision_id: { type: 'string' },
                    },
                  },
                },
              },
            },
            '400': errorReply('An unknown status, a bad limit or a bad cursor.'),
            '401': errorReply('The token was refused.'),
            '403': errorReply('The token has neither the approver nor the auditor scope (recorded).'),
          },
        },
      },
      '/v1/approvals/{id}': {
        get: {
          operationId: 'getApproval',
          summary:
            'One approval request: requester, invocation, findings by class, reasons; never the payload',
          security: bearer,
          parameters: [idParam('approval')],
          responses: {
            '200': {
              description: '`approval`: its summary.',
              content: approvalReply,
              links: {
                ApproveApproval: linkTo('approveApproval', '/approval/id'),
                DenyApproval: linkTo('denyApproval', '/approval/id'),
              },
            },
            '403': errorReply('The token has neither the approver nor the auditor scope (recorded).'),
            '404': errorReply('No such approval.'),
          },
        },
      },
      '/v1/approvals/{id}/approve': { post: decideApprovalOperation('Approve') },
      '/v1/approvals/{id}/deny': { post: decideApprovalOperation('Deny') },
      '/console/config.json': {
        get: {
          operationId: 'getConsoleConfig',
          security: publicRoute,
          summary:
            'The console page’s settings: OIDC login (authorization endpoint, client id, scope) or null',
          responses: {
            '200': { description: '`{"oidc": {...} | null}`' },
            '503': errorReply('OIDC discovery at the issuer failed.'),
          },
        },
      },
      '/console/oidc/token': {
        post: {
          operationId: 'exchangeConsoleCode',
          security: publicRoute,
          summary: 'Exchange an authorization code and its PKCE verifier for an access token (console login)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['code', 'code_verifier', 'redirect_uri'],
                  properties: {
                    code: { type: 'string' },
                    code_verifier: { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$' },
                    redirect_uri: { type: 'string', description: 'This console: <origin>/console/' },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: '`{"access_token": "..."}`' },
            '400': errorReply('A bad body, a redirect away from the console, or the provider refused.'),
            '404': {
              // The catch-all route's reply: no decision is made, so there is no decision_id.
              description: 'OIDC sign-in is not configured (`console.oidc`): no such route.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['allow', 'reasons'],
                    properties: { allow: { const: false }, reasons: { type: 'array' } },
                  },
                },
              },
            },
          },
        },
      },
      '/v1/reports/privileges': {
        get: {
          operationId: 'getPrivilegesReport',
          summary: 'Granted against used privileges per subject (auditor scope)',
          security: bearer,
          parameters: [
            queryParam(
              'since',
              'Start: 30m, 24h, 7d, 4w or an RFC 3339 date / date-time with a zone (default 30d).',
              sinceSchema,
            ),
            queryParam(
              'until',
              'End, exclusive: RFC 3339 date or date-time with a zone (default now).',
              instantSchema,
            ),
            queryParam('subject', 'Only this subject.'),
          ],
          responses: {
            '200': {
              description:
                '`subjects`: per subject, what is granted, what allowed calls used, unused grants, budgets ' +
                'against peak use, and denials that suggest a missing grant.',
            },
            '400': errorReply('An unknown or malformed parameter.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '503': errorReply('The bundle has no entitlements at the configured path.'),
            '501': notOnPostgres('the privileges report'),
          },
        },
      },
      '/v1/replay': {
        post: {
          operationId: 'replayDecisions',
          summary: 'Replay recorded decisions against a candidate bundle (auditor scope); writes nothing',
          security: bearer,
          requestBody: { required: true, content: json('ReplayRequestV1') },
          responses: {
            '200': {
              description:
                'The replay report: counts per kind of change, groups by subject, kind and reason with ' +
                'examples (at most 1,000; `ungrouped_changes` counts the changes past them), `unreplayable` (decisions not evaluated because the record cut their input to size), and ' +
                '`failed_on` (the `fail_on` kinds found; with `fail_on`, also `unreplayable` when some decisions ' +
                'could not be replayed and `truncated` when `limit` left some unread).',
            },
            '400': errorReply('The body is invalid, or the candidate bundle does not load.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '503': errorReply(
              'No policy bundle is loaded to compare with (`policy_unavailable`), another replay is running ' +
                '(`replay_busy`), or this one ran past replay.timeout_seconds (`replay_timeout`).',
            ),
            '501': notOnPostgres('replay'),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'getHealth',
          security: publicRoute,
          summary: "Liveness, as OPA's health API",
          parameters: [
            healthFlag('bundles', 'Also fail (500) while no policy bundle is loaded.'),
            healthFlag(
              'plugins',
              'Also fail (500) while no policy bundle is loaded or the audit store is not open.',
            ),
          ],
          responses: {
            '200': {
              description: 'The process is up (and, if asked, the bundle loaded): `{}`, as OPA answers.',
              content: { 'application/json': { schema: { type: 'object', maxProperties: 0 } } },
            },
            '500': {
              description: 'What `bundles` or `plugins` asked for is not there.',
              content: {
                'application/json': {
                  schema: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
      '/ready': {
        get: {
          operationId: 'getReadiness',
          security: publicRoute,
          summary:
            'Readiness: a bundle is loaded and the database is open; `warnings` says when the disk runs low ' +
            'or an issuer has no usable verification keys',
          description:
            'Readiness never depends on an identity provider: an issuer without usable keys is a warning, so that ' +
            'an IdP outage does not take every replica out of the load balancer at once.',
          responses: {
            '200': { description: 'Ready, perhaps with warnings.', content: json('ReadinessV1') },
            '503': {
              description: 'Not ready: a check fails, or the service is stopping.',
              content: json('ReadinessV1'),
            },
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          security: publicRoute,
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
      ...authzenPaths,
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          // Anonymous from loopback (the default) or with a token (metrics.access "scope").
          security: [{}, { bearer: [] }, { dpop: [] }],
          summary: 'Prometheus metrics (text format 0.0.4); see docs/operations.md',
          description:
            'Default: loopback callers only, not relayed by a proxy (Forwarded, X-Forwarded-For or X-Real-IP). ' +
            'With metrics.access "scope", a bearer token with metrics.scope; ' +
            'with metrics.port, served on that listener instead.',
          responses: {
            '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } },
            '401': { description: 'access "scope": no valid token.' },
            '403': { description: 'Not a loopback caller, a relayed one, or the token lacks the scope.' },
            '503': errorReply('access "scope": the issuer’s keys cannot be fetched.'),
          },
        },
      },
    },
  };
  for (const methods of Object.values(
    document.paths as unknown as Record<string, Record<string, Operation>>,
  )) {
    for (const operation of Object.values(methods)) {
      addCommonStatuses(operation);
      addDpopReplies(operation);
    }
  }
  return document;
}

type Operation = {
  security?: Record<string, unknown>[];
  requestBody?: unknown;
  parameters?: { in: string }[];
  responses: Record<string, { headers?: Record<string, unknown>; [key: string]: unknown }>;
};

/** True when every way to call the operation needs a token (a public one says `security: []`). */
export function needsToken(operation: { security?: Record<string, unknown>[] }): boolean {
  const security = operation.security ?? [];
  return security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
}

// Statuses every route of a kind can return, whoever wrote the route: a token can always be refused
// and the audit log or the issuer's keys can always be unavailable; a body can always be malformed,
// too large or not JSON. Routes that list their own reply for one of these keep it.
function addCommonStatuses(operation: Operation): void {
  const add = (status: string, description: string) => {
    operation.responses[status] ??= errorReply(description);
  };
  if (needsToken(operation)) {
    add('401', 'The token was refused; see WWW-Authenticate and the reason code (recorded).');
    add('503', 'The audit log cannot record, or the issuer’s keys cannot be fetched.');
  }
  if (operation.parameters?.some((p) => p.in === 'query')) {
    add('400', 'A query parameter is unknown, repeated, empty or malformed.');
  }
  if (operation.parameters?.some((p) => p.in === 'path')) {
    add('400', 'A path parameter is not valid percent-encoding.');
  }
  if (operation.requestBody) {
    add('400', 'The body is invalid: not strict JSON, or it fails the schema.');
    add('413', 'The body is too large.');
    add('415', 'The body is not JSON.');
  }
}

// A route that takes DPoP: every reply can carry DPoP-Nonce, a 401 its challenge, and a proof key over its share of
// the replay cache is refused 429. Replies are replaced, not changed: the Data API's operations share theirs.
function addDpopReplies(operation: Operation): void {
  if (!operation.security?.some((requirement) => 'dpop' in requirement)) return;
  operation.responses['429'] ??= errorReply(QUOTA_REPLY);
  for (const [status, reply] of Object.entries(operation.responses)) {
    const headers: Record<string, unknown> = { ...reply.headers, 'DPoP-Nonce': headerRef('DPoP-Nonce') };
    if (status === '401') headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
    if (status === '429' || status === '503') headers['Retry-After'] = headerRef('Retry-After');
    const description =
      status === '503' ? `${String(reply.description)}${REPLAY_CACHE_UNAVAILABLE}` : reply.description;
    operation.responses[status] = { ...reply, description, headers };
  }
}
