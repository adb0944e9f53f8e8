/**
 * Preloaded into a modelgate by bench/tail.ts (`node --require tail-probe.js main.js serve`, with an
 * IPC channel): where the time of each decision goes, for the tail. It records, between a `reset`
 * and a `report` message from the parent:
 *
 * - each decision's stage timings (identity, validate, screen, usage, evaluate, record = the wait
 *   for the durable commit), taken from the values the service's own metrics observe (its stage and
 *   latency histograms, listened in on), grouped per decision;
 * - the HTTP time of each request, from the server's `request` event to the response's `finish`;
 * - event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and every GC pause;
 * - each commit of the audit writer thread (records, seconds including fsync), from its replies.
 *
 * Nothing in src/ knows about it; without metrics enabled the stage figures stay empty.
 */
import * as http from 'node:http';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread, Worker } from 'node:worker_threads';

/** Percentiles of one series, in milliseconds. */
export interface Series {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** What the probe sends back for one measured period. */
export interface TailReport {
  kind: 'tail-report';
  /** Receipt to the record built (the record's latency_ms, as the service records it). */
  decision: Series;
  /** Receipt to durable: the sum of the stages, record-wait included. */
  durable: Series;
  stages: Record<string, Series>;
  /** Mean time per stage among the decisions at or above the p99 (and p99.9) of `durable`. */
  slowest1: Record<string, number>;
  slowest01: Record<string, number>;
  http: Series;
  eventLoopDelay: Series;
  gc: { count: number; totalMs: number; byKind: Record<string, Series> };
  /** Commits of the audit writer thread: their duration (fsync included) and mean batch size. */
  commit: Series & { meanRecords: number };
}

interface Decision {
  latency: number;
  stages: Record<string, number>;
}

const decisions: Decision[] = [];
const httpMs: number[] = [];
const gcPauses: { ms: number; kind: string }[] = [];
const commits: { ms: number; records: number }[] = [];
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

const GC_KINDS: Record<number, string> = {
  1: 'scavenge',
  2: 'mark-sweep-compact',
  4: 'incremental',
  8: 'weak',
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
    gcPauses.push({ ms: entry.duration, kind: GC_KINDS[kind] ?? String(kind) });
  }
}).observe({ entryTypes: ['gc'] });

// The service's metrics (src/metrics/bound-metrics.ts): the latency histogram starts a decision, the stage
// children fill it in, in that order (ServiceMetrics.decided observes the latency, then every stage span,
// synchronously). The probe patches the service's own module, loaded from beside the main script, before the
// service loads it; ServiceMetrics binds its children after that, so each comes through the patched labels().
type Histogram = { name: string; labels(...values: string[]): { observe(value: number): void } };
const LATENCY = 'modelgate_decision_duration_seconds';
const STAGE = 'modelgate_decision_stage_duration_seconds';
// Preloading reaches the worker threads too; the metrics live on the main thread only.
if (isMainThread) {
  const boundMetrics = path.join(path.dirname(process.argv[1] ?? ''), '..', 'metrics', 'bound-metrics.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the service's own module, patched before it loads
  const { LabelledHistogram } = require(boundMetrics) as { LabelledHistogram: { prototype: Histogram } };
  const proto = LabelledHistogram.prototype;
  const originalLabels = proto.labels;
  proto.labels = function (this: Histogram, ...values: string[]) {
    const child = originalLabels.apply(this, values);
    if (this.name !== LATENCY && this.name !== STAGE) return child;
    const name = this.name;
    const stage = values[0];
    return {
      observe(value: number) {
        if (name === LATENCY) decisions.push({ latency: value * 1000, stages: {} });
        else {
          const current = decisions.at(-1);
          if (current && stage) current.stages[stage] = value * 1000;
        }
        child.observe(value);
      },
    };
  };
}

const serverEmit = http.Server.prototype.emit as (
  this: http.Server,
  event: string,
  ...args: unknown[]
) => boolean;
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]): boolean {
  if (event === 'request') {
    const started = performance.now();
    (args[1] as http.ServerResponse).once('finish', () => httpMs.push(performance.now() - started));
  }
  return serverEmit.call(this, event, ...args);
} as typeof http.Server.prototype.emit;

interface WorkerReply {
  op?: string;
  commits?: { records: number; seconds: number }[];
}
const workerPrototype = Worker.prototype as unknown as { emit(event: string, ...args: unknown[]): boolean };
const workerEmit = workerPrototype.emit;
workerPrototype.emit = function (this: Worker, event: string, ...args: unknown[]): boolean {
  const reply = args[0] as WorkerReply | undefined;
  if (event === 'message' && reply?.op === 'done' && reply.commits) {
    for (const commit of reply.commits) commits.push({ ms: commit.seconds * 1000, records: commit.records });
  }
  return workerEmit.call(this, event, ...args);
};

function series(values: number[]): Series {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : 0,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted.length ? sorted[sorted.length - 1]! : 0,
  };
}

const durableMs = (d: Decision): number => Object.values(d.stages).reduce((a, b) => a + b, 0);

function stageMeans(list: Decision[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const d of list)
    for (const [stage, ms] of Object.entries(d.stages)) sums[stage] = (sums[stage] ?? 0) + ms;
  const out: Record<string, number> = {
    latency: list.reduce((a, d) => a + durableMs(d), 0) / Math.max(1, list.length),
  };
  for (const [stage, sum] of Object.entries(sums)) out[stage] = sum / list.length;
  return out;
}

function report(): TailReport {
  const byLatency = [...decisions].sort((a, b) => durableMs(a) - durableMs(b));
  const tail = (q: number) => byLatency.slice(Math.floor(q * byLatency.length));
  const stageNames = [...new Set(decisions.flatMap((d) => Object.keys(d.stages)))];
  const byKind: Record<string, number[]> = {};
  for (const pause of gcPauses) (byKind[pause.kind] ??= []).push(pause.ms);
  const ns = (v: number) => v / 1e6;
  return {
    kind: 'tail-report',
    decision: series(decisions.map((d) => d.latency)),
    durable: series(decisions.map(durableMs)),
    stages: Object.fromEntries(stageNames.map((s) => [s, series(decisions.map((d) => d.stages[s] ?? 0))])),
    slowest1: stageMeans(tail(0.99)),
    slowest01: stageMeans(tail(0.999)),
    http: series(httpMs),
    eventLoopDelay: {
      count: loopDelay.count,
      mean: ns(loopDelay.mean),
      p50: ns(loopDelay.percentile(50)),
      p99: ns(loopDelay.percentile(99)),
      p999: ns(loopDelay.percentile(99.9)),
      max: ns(loopDelay.max),
    },
    gc: {
      count: gcPauses.length,
      totalMs: gcPauses.reduce((a, p) => a + p.ms, 0),
      byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, series(v)])),
    },
    commit: {
      ...series(commits.map((c) => c.ms)),
      meanRecords: commits.reduce((a, c) => a + c.records, 0) / Math.max(1, commits.length),
    },
  };
}

function reset(): void {
  decisions.length = 0;
  httpMs.length = 0;
  gcPauses.length = 0;
  commits.length = 0;
  loopDelay.reset();
}

if (process.send) {
  process.on('message', (message: { kind?: string }) => {
    if (message.kind === 'tail-reset') {
      reset();
      process.send?.({ kind: 'tail-reset-done' });
    } else if (message.kind === 'tail-report') process.send?.(report());
  });
  // After the listener, which refs it: the IPC channel must not keep modelgate alive after SIGTERM.
  process.channel?.unref();
}
