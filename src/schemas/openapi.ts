import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dataRequestSchema } from './data-request.schema';
import { decideRequestSchema } from './decide-request.schema';
import { decideResponseSchema, errorResponseSchema } from './decide-response.schema';
import { decisionDocumentSchema } from './decision-document.schema';
import { policyInputSchema } from './policy-input.schema';
import { usageReportSchema } from './usage-report.schema';

// Same relative path from src/schemas and from dist/schemas.
const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

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
const bearer = [{ bearer: [] }];
const queryParam = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string' },
});

/** Returns the OpenAPI 3.1 document of the HTTP API, built from the same schemas ajv validates with. */
export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'modelgate',
      version,
      description:
        'Policy decisions for AI model invocations. Every decision is recorded in a tamper-evident audit log.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        DecideRequestV1: component(decideRequestSchema),
        DecideResponseV1: component(decideResponseSchema),
        ErrorResponseV1: component(errorResponseSchema),
        DecisionV1: component(decisionDocumentSchema),
        PolicyInputV1: component(policyInputSchema),
        DataRequestV1: component(dataRequestSchema),
        UsageReportV1: component(usageReportSchema),
      },
    },
    paths: {
      '/v1/decide': {
        post: {
          summary: 'Decide whether the caller may make this model invocation',
          security: bearer,
          requestBody: { required: true, content: json('DecideRequestV1') },
          responses: {
            '200': {
              description: 'A decision (allow or deny), recorded.',
              content: json('DecideResponseV1'),
            },
            '400': errorReply('The body is invalid: every problem as a JSON pointer.'),
            '401': errorReply('The token was refused; see WWW-Authenticate and the reason code.'),
            '413': errorReply('The body or the payload text is too large.'),
            '415': errorReply('The body is not JSON.'),
            '503': errorReply('No policy is loaded, the policy failed, or the audit log cannot record.'),
          },
        },
      },
      '/v1/data/{path}': {
        post: {
          summary: 'OPA-compatible Data API: evaluate a policy path on an input',
          security: bearer,
          parameters: [
            {
              name: 'path',
              in: 'path',
              required: true,
              schema: { type: 'string' },
              example: 'modelgate/decision',
            },
          ],
          requestBody: { required: true, content: json('DataRequestV1') },
          responses: {
            '200': {
              description: '`result` is absent when the path is undefined, as with OPA.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['decision_id'],
                    properties: { decision_id: { type: 'string' }, result: {} },
                  },
                },
              },
            },
            '400': errorReply('The body is invalid.'),
            '401': errorReply('The token was refused.'),
            '413': errorReply('The body is too large.'),
            '415': errorReply('The body is not JSON.'),
            '503': errorReply('No policy is loaded, or the audit log cannot record.'),
          },
        },
      },
      '/v1/decisions': {
        get: {
          summary: 'Query the audit log, newest first (auditor scope)',
          security: bearer,
          parameters: [
            queryParam('subject', 'Only this subject.'),
            queryParam('model', 'Only this model.'),
            {
              ...queryParam('outcome', 'allowed, denied or rejected.'),
              schema: { type: 'string', enum: ['allowed', 'denied', 'rejected'] },
            },
            queryParam('reason', 'Only records carrying this reason code.'),
            queryParam('from', 'ISO 8601 date or date-time with zone; inclusive.'),
            queryParam('to', 'ISO 8601 date or date-time with zone; exclusive.'),
            {
              ...queryParam('limit', 'Page size, 1 to 500 (default 50).'),
              schema: { type: 'integer', minimum: 1, maximum: 500 },
            },
            queryParam('cursor', '`next_cursor` of the previous page.'),
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
          summary: 'One audit record (auditor scope)',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: '`record`: the stored record with seq, prev_hash and hash.' },
            '401': errorReply('The token was refused.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '404': errorReply('No such decision.'),
            '503': errorReply('The audit log cannot record, or the issuer’s keys cannot be fetched.'),
          },
        },
      },
      '/v1/decisions/{id}/usage': {
        post: {
          summary: 'Report what an allowed invocation really used; replaces its reservation',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
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
      '/v1/audit/verify': {
        get: {
          summary: 'Walk the hash chain and signed checkpoints (auditor scope)',
          security: bearer,
          responses: {
            '200': {
              description: '`ok: true` with records and head, or `ok: false` with the first break and why.',
            },
            '401': errorReply('The token was refused.'),
            '403': errorReply('The token lacks the auditor scope (recorded).'),
            '503': errorReply('The audit log cannot record, or the issuer’s keys cannot be fetched.'),
          },
        },
      },
      '/health': {
        get: { summary: 'Liveness', responses: { '200': { description: 'The process is up.' } } },
      },
      '/ready': {
        get: {
          summary:
            'Readiness: a bundle is loaded and the database is open; `warnings` says when the disk runs low',
          responses: { '200': { description: 'Ready.' }, '503': { description: 'Not ready.' } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
