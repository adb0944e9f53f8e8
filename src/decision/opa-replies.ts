import type { DecisionReply } from './decision-deps';

// OPA's Data API error codes (server/types/codes.go). OPA's SDKs parse error replies as
// {code, message, errors?: [{code, message}]} and fail on anything else, so a Data API error
// carries OPA's code for its status, with modelgate's reason codes in `errors`.
const OPA_CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_parameter',
  401: 'unauthorized',
  403: 'unauthorized',
  404: 'resource_not_found',
  405: 'invalid_operation',
  409: 'resource_conflict',
  413: 'invalid_parameter',
  415: 'invalid_parameter',
  // OPA never rate-limits, so it has no code for it: a plain name, as OPA's own codes are.
  429: 'too_many_requests',
};

interface Reason {
  code: string;
  message?: string;
}

/** Returns the reply as OPA's Data API would shape it: unchanged on 200, OPA's error body otherwise. */
export function toOpaReply(reply: DecisionReply): DecisionReply {
  if (reply.status < 400) return reply;
  const reasons = (reply.body.reasons as Reason[] | undefined) ?? [];
  const details = (reply.body.errors as { pointer: string; message: string }[] | undefined) ?? [];
  const first = reasons[0];
  const body: Record<string, unknown> = {
    code: OPA_CODE_BY_STATUS[reply.status] ?? 'internal_error',
    message: first?.message ?? first?.code ?? 'request failed',
    errors: [
      ...reasons.map((r) => ({ code: r.code, message: r.message ?? r.code })),
      ...details.map((d) => ({
        code: first?.code ?? 'invalid_parameter',
        message: `${d.pointer}: ${d.message}`,
      })),
    ],
  };
  if (reply.body.decision_id !== undefined) body.decision_id = reply.body.decision_id;
  return { ...reply, body };
}

/**
 * Returns the reply of OPA's default decision (`POST /`): the policy's result itself as the body,
 * or OPA's 404 `undefined_document` when the path is undefined. The decision id, which the body
 * has no room for, goes in a header.
 */
export function toDefaultDecisionReply(reply: DecisionReply, path: string): DecisionReply {
  // decideData's errors are OPA's already.
  if (reply.status >= 400) return reply;
  const decisionId = reply.body.decision_id as string;
  const headers = { ...reply.headers, 'x-modelgate-decision-id': decisionId };
  if (!('result' in reply.body)) {
    return {
      status: 404,
      headers,
      body: {
        code: 'undefined_document',
        message: `default decision is undefined: data.${path.replace(/\//g, '.')}`,
        decision_id: decisionId,
      },
    };
  }
  return { status: 200, headers, body: reply.body.result as Record<string, unknown> };
}
