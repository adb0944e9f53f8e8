import { Counter, Gauge, type Registry } from 'prom-client';
import type { ShippingStatus } from '../shipping/decision-log-shipper';
import type { MetricsSources } from './service-metrics';

/** Registers the gauges and counters whose value lives elsewhere: read when Prometheus scrapes, never per decision. */
export function registerScrapeGauges(registry: Registry, sources: MetricsSources): void {
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
  // On PostgreSQL (database.url) the database's disk and the shared reservations are the database
  // server's to report: these gauges are left out rather than reported as zero.
  const disk = sources.disk;
  if (disk) {
    gauge(
      'modelgate_audit_database_size_bytes',
      'Size of the audit database on disk (with its WAL).',
      () => disk().databaseBytes,
    );
    gauge(
      'modelgate_audit_disk_free_bytes',
      'Free space on the file system of the audit database.',
      () => disk().freeBytes,
    );
    gauge(
      'modelgate_audit_disk_size_bytes',
      'Size of the file system of the audit database.',
      () => disk().totalBytes,
    );
  }
  const activeReservations = sources.activeReservations;
  if (activeReservations) {
    gauge(
      'modelgate_usage_active_reservations',
      'Token reservations of allowed calls not yet reported or expired.',
      () => activeReservations(),
    );
  }
  const screening = sources.screening;
  if (screening) {
    total(
      'modelgate_screening_cache_hits_total',
      "Texts whose findings screening took from its cache of the caller's earlier texts (payloads only).",
      () => screening.cacheLookups().hits,
    );
    total(
      'modelgate_screening_cache_misses_total',
      'Texts screening looked up in its cache and screened because they were not there (payloads only).',
      () => screening.cacheLookups().misses,
    );
  }
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

/** Registers the decision-log shipping metrics of every sink `read` reports. */
export function registerShippingMetrics(
  registry: Registry,
  read: () => ShippingStatus[],
  cpuSeconds: () => number | null,
): void {
  const registers = [registry];
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
  let cpuSeen = 0;
  new Counter({
    name: 'modelgate_decision_log_thread_cpu_seconds_total',
    help: 'CPU time of the decision-log shipping thread: reading, encoding, compressing and sending (Linux).',
    registers,
    collect() {
      const now = cpuSeconds();
      if (now !== null && now > cpuSeen) this.inc(now - cpuSeen);
      cpuSeen = Math.max(cpuSeen, now ?? 0);
    },
  });
}

function gaugeCollector(read: () => number) {
  return function (this: Gauge) {
    this.set(read());
  };
}
