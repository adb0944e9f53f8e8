import {
  authzenDecisionSchema,
  authzenDecisionsSchema,
  authzenEvaluationSchema,
  authzenEvaluationsSchema,
  authzenMetadataSchema,
} from './authzen.schema';

// The AuthZEN part of the OpenAPI document, kept beside its schemas; openapi.ts spreads it in.

type Schema = { $id?: string; [key: string]: unknown };

function component(schema: Schema): Schema {
  const rest = { ...schema };
  delete rest.$id;
  return rest;
}

// The PEP's token, bearer or DPoP-bound: the routes share /v1/decide's authenticator.
const tokenSecurity = [{ bearer: [] }, { dpop: [] }];
const json = (name: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } });
const errorReply = (description: string) => ({ description, content: json('ErrorResponseV1') });
const errors = {
  '400': errorReply('The body is invalid, or an evaluation lacks subject, action or resource.'),
  '401': errorReply('The caller (the PEP) was not authenticated.'),
  '503': errorReply(
    'No policy with the AuthZEN entrypoint is loaded, it failed, or the audit log cannot record.',
  ),
};

/** OpenAPI components of the AuthZEN API. */
export const authzenComponents = {
  AuthzenEvaluationV1: component(authzenEvaluationSchema),
  AuthzenEvaluationsV1: component(authzenEvaluationsSchema),
  AuthzenDecisionV1: component(authzenDecisionSchema),
  AuthzenDecisionsV1: component(authzenDecisionsSchema),
  AuthzenMetadataV1: component(authzenMetadataSchema),
};

/** OpenAPI paths of the AuthZEN API. */
export const authzenPaths = {
  '/access/v1/evaluation': {
    post: {
      operationId: 'accessEvaluation',
      summary: 'OpenID AuthZEN 1.0 Access Evaluation (each decision recorded)',
      security: tokenSecurity,
      requestBody: { required: true, content: json('AuthzenEvaluationV1') },
      responses: { '200': { description: 'The decision.', content: json('AuthzenDecisionV1') }, ...errors },
    },
  },
  '/access/v1/evaluations': {
    post: {
      operationId: 'accessEvaluations',
      summary: 'OpenID AuthZEN 1.0 Access Evaluations (batch; each decision recorded)',
      security: tokenSecurity,
      requestBody: { required: true, content: json('AuthzenEvaluationsV1') },
      responses: {
        '200': {
          description: 'The decisions in order; a single decision when the request has no items.',
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { $ref: '#/components/schemas/AuthzenDecisionsV1' },
                  { $ref: '#/components/schemas/AuthzenDecisionV1' },
                ],
              },
            },
          },
        },
        ...errors,
      },
    },
  },
  '/.well-known/authzen-configuration': {
    get: {
      operationId: 'getAuthzenConfiguration',
      security: [],
      summary: 'AuthZEN Policy Decision Point metadata',
      responses: { '200': { description: 'The metadata.', content: json('AuthzenMetadataV1') } },
    },
  },
};
