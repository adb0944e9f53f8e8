import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import type { DecidedEvent, DecisionObserver } from '../decision/decision-observer';

/**
 * Returns an observer that turns each finished decision into OpenTelemetry spans: one server span for
 * the decision and one child per stage, built afterwards from the stage timings the decision path
 * kept, so tracing adds nothing to the path itself. A caller's traceparent makes them part of its trace.
 */
export function decisionSpans(tracer: Tracer): DecisionObserver {
  return {
    decided(event: DecidedEvent): void {
      const { call, record } = event;
      const outcome = event.recorded ? record.outcome : 'rejected';
      const status = event.recorded ? record.status : 503;
      const route = routeOf(record.path);
      const root = tracer.startSpan(
        `decision ${route === DATA_ROUTE ? '/v1/data' : route}`,
        {
          kind: SpanKind.SERVER,
          startTime: call.receivedAtMs,
          attributes: {
            'http.route': route,
            'url.path': record.path,
            'http.response.status_code': status,
            'modelgate.decision_id': record.decision_id,
            'modelgate.outcome': outcome,
            'modelgate.reasons': event.recorded ? record.reasons : ['audit_unavailable'],
            ...(record.bundle && {
              'modelgate.bundle': record.bundle.name,
              'modelgate.bundle.revision': record.bundle.revision,
            }),
          },
        },
        parentOf(event),
      );
      const inRoot = trace.setSpan(ROOT_CONTEXT, root);
      for (const span of event.trace.stages?.spans ?? []) {
        tracer
          .startSpan(span.stage, { startTime: performance.timeOrigin + span.startMs }, inRoot)
          .end(performance.timeOrigin + span.endMs);
      }
      if (status >= 500) root.setStatus({ code: SpanStatusCode.ERROR, message: record.reasons.join(' ') });
      root.end(call.receivedAtMs + record.latency_ms);
    },
  };
}

const DATA_ROUTE = '/v1/data/{path}';
const APPROVAL_ACTION = /^\/v1\/approvals\/[^/]+\/(approve|deny)$/;

// The route template of a recorded path: the two routes whose records keep the path itself (a policy path, an
// approval id) become their templates, so span names and http.route stay a short fixed list, as OpenTelemetry's
// HTTP conventions ask; url.path keeps the path.
function routeOf(path: string): string {
  if (path.startsWith('/v1/data/')) return DATA_ROUTE;
  const approval = APPROVAL_ACTION.exec(path);
  return approval ? `/v1/approvals/{id}/${approval[1]}` : path;
}

// The caller's traceparent, as a remote parent; none starts a new trace.
function parentOf(event: DecidedEvent): Context {
  const remote = event.call.traceContext;
  if (!remote) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: remote.traceId,
    spanId: remote.spanId,
    traceFlags: remote.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}
