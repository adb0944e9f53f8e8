/**
 * OPA's decision log event, as its documentation's field table describes it (Management APIs,
 * "Decision Logs": labels, decision_id, bundles, path, query, input, result, requested_by,
 * timestamp, metrics, erased, masked, ...). Written from the docs, not from our code, so the
 * shipped events are checked against what OPA's consumers expect.
 */
export const opaDecisionEventSchema = {
  type: 'object',
  required: ['labels', 'decision_id', 'path', 'requested_by', 'timestamp'],
  properties: {
    labels: {
      type: 'object',
      required: ['id', 'version'],
      additionalProperties: { type: 'string' },
    },
    decision_id: { type: 'string', minLength: 1 },
    trace_id: { type: 'string' },
    span_id: { type: 'string' },
    bundles: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['revision'],
        properties: { revision: { type: 'string' } },
      },
    },
    path: { type: 'string', pattern: '^[^/]' },
    query: { type: 'string' },
    requested_by: { type: 'string' },
    timestamp: { type: 'string', format: 'date-time' },
    metrics: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    erased: { type: 'array', items: { type: 'string' } },
    masked: { type: 'array', items: { type: 'string' } },
    req_id: { type: 'integer' },
  },
} as const;
