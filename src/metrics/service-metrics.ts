import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DecidedEvent, DecisionObserver, DecisionStage } from '../decision/decision-observer';
import { DECISION_STAGES } from '../decision/decision-observer';
import { ReasonCode } from '../errors';
import type { IssuerKeyFetches } from '../identity';
import { PII_CLASSES, SECRET_CLASSES } from '../screening/classes';
import type { ShippingStatus } from '../shipping/decision-log-shipper';
import { LabelledCounter, LabelledHistogram } from './bound-metrics';
import { BoundedLabel, OVERFLOW_LABEL } from './bounded-label';
import { registerIssuerKeyMetrics } from './issuer-key-metrics';
import { registerScrapeGauges, registerShippingMetrics } from './scrape-metrics';

const COUNTER_NAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** What the collectors read at scrape time; each is cheap and never throws. */
export interface MetricsSources {
  audit: {
    stats(): { appended: number; failedCommits: number };
    readonly queueDepth: number;
    readonly open: boolean;
  };
  /** The SQLite file's size and disk; absent on PostgreSQL. */
  disk?(): { databaseBytes: number; freeBytes: number; totalBytes: number };
  /** Absent on PostgreSQL, where reservations are shared by every replica. */
  activeReservations?(): number;
  policy: {
    current(): { info: { bundle: string; revision: string } } | undefined;
    readonly activations: { succeeded: number; failed: number };
  };
  /** Lookups in the screening caches (see screening-cache.ts). */
  screening?: { cacheLookups(): { hits: number; misses: number } };
  /** Fetches of the issuers' key sets and discovery documents (see key-fetch-stats.ts). */
  issuerKeys?(): IssuerKeyFetches[];
}

/** Options for the labels that could grow without bound. */
export interface MetricsOptions {
  /** Most distinct reason codes of policies kept as labels, besides modelgate's own; the rest count as "other". */
  maxReasonCodes: number;
  /** Per-subject decision counts: off (0) unless an operator opts in, at most this many subjects. */
  maxSubjects: number;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STAGE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000];
const CATEGORY: ReadonlyMap<string, string> = new Map([
  ...SECRET_CLASSES.map((c) => [c, 'secret'] as const),
  ...PII_CLASSES.map((c) => [c, 'pii'] as const),
]);

/**
 * The Prometheus metrics of one service: a registry of its own (so two services in one process,
 * as in tests, never share counters), decision metrics fed as a DecisionObserver, audit commit
 * metrics fed by the writer thread, and gauges read from their sources at scrape time.
 */
export class ServiceMetrics implements DecisionObserver {
  readonly registry = new Registry();
  // The per-decision metrics bind their label sets once (bound-metrics.ts): prom-client's children validate and
  // hash their labels on every call, a dozen times per decision on the event loop.
  private readonly decisions: LabelledCounter;
  private readonly reasons: LabelledCounter;
  private readonly latency: LabelledHistogram;
  private readonly stages: Map<DecisionStage, { observe(value: number): void }>;
  private readonly findings: LabelledCounter;
  private readonly subjects: LabelledCounter | undefined;
  private readonly commitBatch: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly reasonLabel: BoundedLabel;
  private readonly subjectLabel: BoundedLabel;

  constructor(sources: MetricsSources, options: MetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges whose `_total` suffix Prometheus reserves for counters (`promtool check metrics` says so); the
    // same figures are kept, by type, in nodejs_active_handles, nodejs_active_requests, nodejs_active_resources.
    for (const name of COUNTER_NAMED_GAUGES) this.registry.removeSingleMetric(name);
    // modelgate's own codes are a fixed list the alerts read (keys_unavailable, audit_unavailable): a policy's codes,
    // seen first, must not push them into "other".
    this.reasonLabel = new BoundedLabel(options.maxReasonCodes, new Set<string>(Object.values(ReasonCode)));
    this.subjectLabel = new BoundedLabel(options.maxSubjects);
    const registry = this.registry;
    this.decisions = new LabelledCounter(
      'modelgate_decisions_total',
      'Decisions made, by endpoint and outcome (allowed, denied, rejected).',
      ['endpoint', 'outcome'],
      registry,
    );
    this.reasons = new LabelledCounter(
      'modelgate_decision_reasons_total',
      'Reason codes of decisions, by endpoint, outcome and reason (capped; the rest are "other").',
      ['endpoint', 'outcome', 'reason'],
      registry,
    );
    this.latency = new LabelledHistogram(
      'modelgate_decision_duration_seconds',
      'Time from receiving a decision request to its durable record, by endpoint.',
      ['endpoint'],
      LATENCY_BUCKETS,
      registry,
    );
    const stage = new LabelledHistogram(
      'modelgate_decision_stage_duration_seconds',
      'Time spent in each stage of the decision path (identity, validate, screen, usage, evaluate, record).',
      ['stage'],
      STAGE_BUCKETS,
      registry,
    );
    this.stages = new Map(DECISION_STAGES.map((name) => [name, stage.labels(name)]));
    this.findings = new LabelledCounter(
      'modelgate_screening_findings_total',
      'Sensitive-data findings in screened payloads, by class and category (secret, pii).',
      ['class', 'category'],
      registry,
    );
    this.subjects =
      options.maxSubjects > 0
        ? new LabelledCounter(
            'modelgate_subject_decisions_total',
            `Decisions by subject and outcome (opt-in; the first ${options.maxSubjects} subjects, the rest "other").`,
            ['subject', 'outcome'],
            registry,
          )
        : undefined;
    this.commitBatch = new Histogram({
      name: 'modelgate_audit_commit_batch_records',
      help: 'Records per group commit sent to the audit writer thread.',
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'modelgate_audit_commit_duration_seconds',
      help: 'Time the audit writer thread took to chain and commit one batch (fsync included).',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    registerScrapeGauges(this.registry, sources);
    const issuerKeys = sources.issuerKeys;
    if (issuerKeys) registerIssuerKeyMetrics(this.registry, () => issuerKeys());
  }

  /** Counts one finished decision (DecisionObserver). */
  decided(event: DecidedEvent): void {
    const { record } = event;
    const endpoint = endpointOf(record.path);
    const outcome = event.recorded ? record.outcome : 'rejected';
    const reasons = event.recorded ? record.reasons : [ReasonCode.AuditUnavailable];
    this.decisions.labels(endpoint, outcome).inc();
    for (const reason of reasons)
      this.reasons.labels(endpoint, outcome, this.reasonLabel.value(reason)).inc();
    this.latency.labels(endpoint).observe(record.latency_ms / 1000);
    for (const span of event.trace.stages?.spans ?? []) {
      this.stages.get(span.stage)?.observe((span.endMs - span.startMs) / 1000);
    }
    const findings = (record.input as { payload?: { findings?: Record<string, number> } } | null)?.payload
      ?.findings;
    if (findings) {
      for (const [name, count] of Object.entries(findings)) {
        const category = CATEGORY.get(name);
        if (category) this.findings.labels(name, category).inc(count);
      }
    }
    if (this.subjects && record.subject !== null) {
      this.subjects.labels(this.subjectLabel.value(record.subject), outcome).inc();
    }
  }

  /** Observes one batch committed by the audit writer thread. */
  committed(timing: { records: number; seconds: number }): void {
    this.commitBatch.observe(timing.records);
    this.commitSeconds.observe(timing.seconds);
  }

  /** Exposes decision-log shipping: backlog, cursor, deliveries and the last success per sink, and its thread's CPU. */
  watchShipping(shipping: { status(): ShippingStatus[]; threadCpuSeconds(): number | null }): void {
    registerShippingMetrics(
      this.registry,
      () => shipping.status(),
      () => shipping.threadCpuSeconds(),
    );
  }

  /** Returns the exposition text (and its content type) for GET /metrics. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

// Endpoint labels are the routes, never raw paths: /v1/data/<any policy path> is one label.
function endpointOf(path: string): string {
  if (path === '/v1/decide') return path;
  if (path.startsWith('/v1/data/')) return '/v1/data';
  if (path.startsWith('/access/v1/')) return '/access/v1';
  if (path.startsWith('/v1/approvals')) return '/v1/approvals';
  return OVERFLOW_LABEL;
}
