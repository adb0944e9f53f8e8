import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DecidedEvent, DecisionObserver, DecisionStage } from '../decision/decision-observer';
import { DECISION_STAGES } from '../decision/decision-observer';
import { ReasonCode } from '../errors';
import { PII_CLASSES, SECRET_CLASSES } from '../screening/classes';
import type { ShippingStatus } from '../shipping/decision-log-shipper';
import { BoundedLabel, OVERFLOW_LABEL } from './bounded-label';

/** What the collectors read at scrape time; each is cheap and never throws. */
export interface MetricsSources {
  audit: {
    stats(): { appended: number; failedCommits: number };
    readonly queueDepth: number;
    readonly open: boolean;
  };
  disk(): { databaseBytes: number; freeBytes: number; totalBytes: number };
  activeReservations(): number;
  policy: {
    current(): { info: { bundle: string; revision: string } } | undefined;
    readonly activations: { succeeded: number; failed: number };
  };
}

/** Options for the labels that could grow without bound. */
export interface MetricsOptions {
  /** Most distinct reason codes kept as labels; the rest count as "other". */
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
  private readonly decisions: Counter<'endpoint' | 'outcome'>;
  private readonly reasons: Counter<'endpoint' | 'outcome' | 'reason'>;
  private readonly latency: Histogram<'endpoint'>;
  private readonly stages: Map<DecisionStage, { observe(value: number): void }>;
  private readonly findings: Counter<'class' | 'category'>;
  private readonly subjects: Counter<'subject' | 'outcome'> | undefined;
  private readonly commitBatch: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly reasonLabel: BoundedLabel;
  private readonly subjectLabel: BoundedLabel;

  constructor(sources: MetricsSources, options: MetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.reasonLabel = new BoundedLabel(options.maxReasonCodes);
    this.subjectLabel = new BoundedLabel(options.maxSubjects);
    this.decisions = new Counter({
      name: 'modelgate_decisions_total',
      help: 'Decisions made, by endpoint and outcome (allowed, denied, rejected).',
      labelNames: ['endpoint', 'outcome'],
      registers,
    });
    this.reasons = new Counter({
      name: 'modelgate_decision_reasons_total',
      help: 'Reason codes of decisions, by endpoint, outcome and reason (capped; the rest are "other").',
      labelNames: ['endpoint', 'outcome', 'reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'modelgate_decision_duration_seconds',
      help: 'Time from receiving a decision request to its durable record, by endpoint.',
      labelNames: ['endpoint'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const stage = new Histogram({
      name: 'modelgate_decision_stage_duration_seconds',
      help: 'Time spent in each stage of the decision path (identity, validate, screen, usage, evaluate, record).',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    // One child per stage, made once: observing through a child skips hashing the labels per call.
    this.stages = new Map(DECISION_STAGES.map((name) => [name, stage.labels({ stage: name })]));
    this.findings = new Counter({
      name: 'modelgate_screening_findings_total',
      help: 'Sensitive-data findings in screened payloads, by class and category (secret, pii).',
      labelNames: ['class', 'category'],
      registers,
    });
    this.subjects =
      options.maxSubjects > 0
        ? new Counter({
            name: 'modelgate_subject_decisions_total',
            help: `Decisions by subject and outcome (opt-in; the first ${options.maxSubjects} subjects, the rest "other").`,
            labelNames: ['subject', 'outcome'],
            registers,
          })
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
  }

  /** Counts one finished decision (DecisionObserver). */
  decided(event: DecidedEvent): void {
    const { record } = event;
    const endpoint = endpointOf(record.path);
    const outcome = event.recorded ? record.outcome : 'rejected';
    const reasons = event.recorded ? record.reasons : [ReasonCode.AuditUnavailable];
    this.decisions.inc({ endpoint, outcome });
    for (const reason of reasons)
      this.reasons.inc({ endpoint, outcome, reason: this.reasonLabel.value(reason) });
    this.latency.observe({ endpoint }, record.latency_ms / 1000);
    for (const span of event.trace.stages?.spans ?? []) {
      this.stages.get(span.stage)?.observe((span.endMs - span.startMs) / 1000);
    }
    const findings = (record.input as { payload?: { findings?: Record<string, number> } } | null)?.payload
      ?.findings;
    if (findings) {
      for (const [name, count] of Object.entries(findings)) {
        const category = CATEGORY.get(name);
        if (category) this.findings.inc({ class: name, category }, count);
      }
    }
    if (this.subjects && record.subject !== null) {
      this.subjects.inc({ subject: this.subjectLabel.value(record.subject), outcome });
    }
  }

  /** Observes one batch committed by the audit writer thread. */
  committed(timing: { records: number; seconds: number }): void {
    this.commitBatch.observe(timing.records);
    this.commitSeconds.observe(timing.seconds);
  }

  /** Exposes decision-log shipping: backlog, cursor, deliveries and the last success, per sink. */
  watchShipping(read: () => ShippingStatus[]): void {
    const registers = [this.registry];
    const perSink = (name: string, help: string, value: (s: ShippingStatus) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['sink'],
        registers,
        collect() {
          this.reset();
          for (const status of read()) {
            const v = value(status);
            if (v !== null) this.set({ sink: status.sink }, v);
          }
        },
      });
    perSink(
      'modelgate_decision_log_backlog_records',
      'Recorded decisions this sink has not acknowledged yet.',
      (s) => s.backlog,
    );
    perSink(
      'modelgate_decision_log_cursor_seq',
      'Seq of the last audit record this sink acknowledged.',
      (s) => s.cursor_seq,
    );
    perSink(
      'modelgate_decision_log_last_success_timestamp_seconds',
      'When this sink last acknowledged a batch (Unix time).',
      (s) => (s.last_success_at === null ? null : Date.parse(s.last_success_at) / 1000),
    );
    perSink(
      'modelgate_decision_log_consecutive_failures',
      'Failed deliveries since the last success.',
      (s) => s.consecutive_failures,
    );
    const counter = (name: string, help: string, value: (s: ShippingStatus) => number) => {
      const seen = new Map<string, number>();
      return new Counter({
        name,
        help,
        labelNames: ['sink'],
        registers,
        collect() {
          for (const status of read()) {
            const now = value(status);
            const before = seen.get(status.sink) ?? 0;
            if (now > before) this.inc({ sink: status.sink }, now - before);
            seen.set(status.sink, Math.max(now, before));
          }
        },
      });
    };
    counter(
      'modelgate_decision_log_shipped_total',
      'Decisions delivered to this sink by this process.',
      (s) => s.shipped_total,
    );
    counter(
      'modelgate_decision_log_failed_deliveries_total',
      'Batch deliveries that failed and were retried.',
      (s) => s.failed_deliveries_total,
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

// Gauges and counters whose value lives elsewhere: read when Prometheus scrapes, never per decision.
function registerScrapeGauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers, collect: gaugeCollector(read) });
  const total = (name: string, help: string, read: () => number) => {
    // prom-client counters only go up: add what the source counted since the last scrape.
    let seen = 0;
    return new Counter({
      name,
      help,
      registers,
      collect() {
        const now = read();
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };
  gauge(
    'modelgate_audit_up',
    '1 while the audit log accepts records, else 0 (every decision is refused).',
    () => (sources.audit.open ? 1 : 0),
  );
  gauge(
    'modelgate_audit_queue_depth',
    'Records waiting for their group commit.',
    () => sources.audit.queueDepth,
  );
  total(
    'modelgate_audit_records_total',
    'Records committed to the audit log by this process.',
    () => sources.audit.stats().appended,
  );
  total(
    'modelgate_audit_commit_failures_total',
    'Audit transactions that failed (their records were refused).',
    () => sources.audit.stats().failedCommits,
  );
  gauge(
    'modelgate_audit_database_size_bytes',
    'Size of the audit database on disk (with its WAL).',
    () => sources.disk().databaseBytes,
  );
  gauge(
    'modelgate_audit_disk_free_bytes',
    'Free space on the file system of the audit database.',
    () => sources.disk().freeBytes,
  );
  gauge(
    'modelgate_audit_disk_size_bytes',
    'Size of the file system of the audit database.',
    () => sources.disk().totalBytes,
  );
  gauge(
    'modelgate_usage_active_reservations',
    'Token reservations of allowed calls not yet reported or expired.',
    () => sources.activeReservations(),
  );
  gauge(
    'modelgate_policy_loaded',
    '1 while a policy bundle is loaded, else 0 (every decision is denied).',
    () => (sources.policy.current() ? 1 : 0),
  );
  total(
    'modelgate_policy_activations_total',
    'Policy bundles put in force (start-up and reloads).',
    () => sources.policy.activations.succeeded,
  );
  total(
    'modelgate_policy_activation_failures_total',
    'Bundle loads that failed; the policy in force stayed.',
    () => sources.policy.activations.failed,
  );
  new Gauge({
    name: 'modelgate_policy_bundle_info',
    help: 'The policy bundle in force: always 1, its name and revision in labels.',
    labelNames: ['bundle', 'revision'],
    registers,
    collect() {
      this.reset();
      const info = sources.policy.current()?.info;
      if (info) this.set({ bundle: info.bundle, revision: info.revision }, 1);
    },
  });
}

function gaugeCollector(read: () => number) {
  return function (this: Gauge) {
    this.set(read());
  };
}
