import type { Logger } from 'pino';
import type { DecisionObserver } from '../decision/decision-observer';

/** tracing in the config: OTLP over HTTP (JSON) to a collector; absent = off. */
export interface TracingConfig {
  /** Full URL of the OTLP/HTTP traces endpoint, e.g. http://localhost:4318/v1/traces. */
  otlpEndpoint: string;
  serviceName: string;
  /** Share of new traces sampled (0..1). */
  sampleRatio: number;
  /**
   * Whether a caller's sampled flag (its traceparent) decides for its trace, as W3C and OpenTelemetry's default
   * have it; false: its traces too are sampled at sampleRatio, so a caller cannot raise the tracing bill.
   */
  followCallerSampling: boolean;
  /** Extra headers for the collector (e.g. an API key). */
  headers: Record<string, string>;
  /** How long spans wait to be batched before export. */
  exportDelayMs: number;
}

/** Running tracing: the observer that makes spans, and how to flush and stop. */
export interface DecisionTracing {
  observer: DecisionObserver;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for decision spans. The SDK is loaded here, on demand: with tracing
 * off none of it is even required, and the decision path only keeps its stage timings.
 */
export function startTracing(config: TracingConfig, logger: Logger): DecisionTracing {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded here, only when tracing is configured */
  const sdk = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const exporterModule =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const spans = require('./decision-spans') as typeof import('./decision-spans');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const exporter = new exporterModule.OTLPTraceExporter({
    url: config.otlpEndpoint,
    headers: config.headers,
  });
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new sdk.ParentBasedSampler({
      root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio),
      // Not by the trace id, which the caller picks: one whose words XOR to 0 is sampled at any ratio.
      ...(config.followCallerSampling
        ? {}
        : { remoteParentSampled: randomRatioSampler(sdk, config.sampleRatio) }),
    }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportDelayMs })],
  });
  logger.info(
    {
      endpoint: config.otlpEndpoint,
      sample_ratio: config.sampleRatio,
      follow_caller_sampling: config.followCallerSampling,
    },
    'tracing decisions with OTLP/HTTP',
  );
  return {
    observer: spans.decisionSpans(provider.getTracer('modelgate')),
    shutdown: () => provider.shutdown(),
  };
}

// Samples a share of the spans it is asked about by a random draw of its own: a caller can choose its trace ids, so
// a sampler that decides by the trace id (TraceIdRatioBased) samples whatever share the caller likes.
function randomRatioSampler(
  sdk: typeof import('@opentelemetry/sdk-trace-base'),
  ratio: number,
): import('@opentelemetry/sdk-trace-base').Sampler {
  return {
    shouldSample: () => ({
      decision:
        Math.random() < ratio ? sdk.SamplingDecision.RECORD_AND_SAMPLED : sdk.SamplingDecision.NOT_RECORD,
    }),
    toString: () => `RandomRatio{${ratio}}`,
  };
}
