/**
 * The cost of operating modelgate: two modelgates from the same build, side by side: "off" (no
 * /metrics, no decision-log shipping) and "on" (metrics, with /metrics scraped every second, and
 * every decision shipped to a local OPA-style collector). Two measurements:
 *   - CPU per decision at a fixed offered rate well below saturation: the server's CPU time (all its
 *     threads, the shipping thread included) divided by the decisions it answered. It barely moves
 *     when other work shares the machine, so it is the figure to compare builds with. It is split by
 *     thread: the main thread (the event loop that serves decisions), the shipping thread (its own CPU
 *     counter, from /metrics) and all other threads together (the audit writer, V8's GC helpers,
 *     libuv's pool), so a cost that lands outside the shipping thread shows where it lands.
 *   - throughput and p99 at saturation, in paired rounds that alternate the order (off/on, on/off,
 *     ...), so drift on a shared machine hits both; the cost is 1 - the median on/off ratio.
 * `npm run bench` runs it in its load section; `npm run bench:observability` runs it alone:
 *   --rounds N     paired rounds at saturation (default 4)
 *   --seconds S    length of one round (default 8)
 *   --connections C  (default 32)
 *   --cpu-rate R   offered decisions/s for the CPU measurement (default 400)
 *   --cpu-seconds S  length of one CPU run (default 10)
 *   --cpu-runs N   CPU runs per variant, in pairs of alternating order (default 4)
 *   --no-metrics | --no-shipping   leave one of the two off in "on", to see which costs what
 *   --thread-nice N  decision_logs.thread_nice of "on" (default: modelgate's, 19; 0 = compete with decisions)
 *   --no-build     use dist/ as it is
 *   --main FILE    run this compiled CLI instead (e.g. an older build, to compare the cost before and after)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBenchPolicy, opaBinary } from './lib/bench-policy';
import { buildDist, builtDist, type BenchBuild } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { cpuSnapshot, cpuUsage, threadTicks } from './lib/cpu-meter';
import { fixedRate } from './lib/fixed-rate';
import { describeMachine } from './lib/machine';
import { fmt, markdownTable } from './lib/markdown';
import { saturate as saturateTarget } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import type { Target } from './lib/target';
import { decideBody } from './lib/workload';
import { median, medianInterval } from './lib/stats';

/** How long and how hard to compare "on" with "off". */
export interface ObservabilityOptions {
  build: BenchBuild;
  rounds: number;
  seconds: number;
  connections: number;
  cpuRps: number;
  cpuSeconds: number;
  /** CPU runs per variant (default 4): one run is noisy, a machine that is not idle moves it by ±10%. */
  cpuRuns?: number;
  /** What "on" turns on (both by default). */
  metrics: boolean;
  shipping: boolean;
  /** decision_logs.thread_nice of "on"; undefined = modelgate's default. */
  threadNice?: number;
  log: (line: string) => void;
}

type Variant = 'off' | 'on';

/** Server CPU per decision answered, µs: all threads, then split by thread. */
interface CpuSplit {
  total: number;
  main: number;
  /** NaN when the variant does not ship, or without /metrics to read the thread's counter from. */
  shipping: number;
  /** Every other thread: the audit writer, V8's GC helpers, libuv's pool. */
  other: number;
}

interface Round {
  variant: Variant;
  rps: number;
  p99: number;
  failed: number;
}

/** What the comparison measured, with its Markdown report. */
export interface ObservabilityResult {
  /** Server CPU per decision at the fixed rate, µs (median of the runs). */
  cpuUs: Record<Variant, number>;
  /** The same split by thread (median of the runs, per part). */
  cpuSplit: Record<Variant, CpuSplit>;
  /** The shipping thread's CPU per decision it shipped during the fixed-rate runs, µs (NaN if not shipping). */
  shippingCpuUs: number;
  /** Saturation throughput and p99 (ms), medians of the rounds. */
  rps: Record<Variant, number>;
  p99: Record<Variant, number>;
  /** 1 - median of the per-pair on/off throughput ratios, in %. */
  throughputCostPercent: number;
  /** Its 90% interval (bootstrap of the median over the pairs), in %: [low, high]. */
  throughputCostInterval: [number, number];
  markdown: string;
}

/** Runs the comparison (see the file comment) and returns its figures. */
export async function runObservability(options: ObservabilityOptions): Promise<ObservabilityResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-obs-'));
  const collector = await startCollector();
  const policy = buildBenchPolicy(dir);
  const issuer = benchIssuer();
  const start = (name: Variant, config: Record<string, unknown>) =>
    startModelgate({ main: options.build.main, dir: path.join(dir, name), name, policy, issuer, config });
  const servers: Partial<Record<Variant, ServerProcess>> = {};
  // Prometheus scrapes every 15 s or so; every second is a pessimistic stand-in.
  const scraper = setInterval(() => {
    if (options.metrics && servers.on) void fetch(`${servers.on.baseUrl}/metrics`).then((r) => r.text());
  }, 1000);
  try {
    servers.off = await start('off', { metrics: { enabled: false }, logging: { decisions: 'off' } });
    servers.on = await start('on', {
      logging: { decisions: 'off' },
      ...(options.metrics ? {} : { metrics: { enabled: false } }),
      ...(options.shipping
        ? { decision_logs: { service: { url: collector.url }, thread_nice: options.threadNice } }
        : {}),
    });
    const body = JSON.stringify(decideBody());
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` };
    const target = (variant: Variant): Target => ({
      name: variant,
      url: `${servers[variant]!.baseUrl}/v1/decide`,
      headers,
      body,
    });
    const saturate = async (variant: Variant, duration: number): Promise<Round> => {
      const r = await saturateTarget(target(variant), options.connections, duration);
      return { variant, rps: r.rps, p99: r.p99, failed: r.failed };
    };
    // CPU time of the server process per decision answered, at a rate it keeps up with, by thread.
    const cpuPerDecision = async (variant: Variant): Promise<CpuSplit> => {
      const pid = servers[variant]!.pid;
      const ships = variant === 'on' && options.shipping && options.metrics;
      const shipping = ships ? await shippingCounters(servers.on!, options) : undefined;
      const mainBefore = threadTicks(pid, pid);
      const before = cpuSnapshot([pid]);
      const run = await fixedRate(target(variant), options.cpuRps, options.cpuSeconds, 16);
      const used = cpuUsage(before, cpuSnapshot([pid]));
      const mainTicks = threadTicks(pid, pid) - mainBefore;
      const shippingSeconds = shipping
        ? (await shippingCounters(servers.on!, options)).cpuSeconds - shipping.cpuSeconds
        : NaN;
      if (run.failed > 0) throw new Error(`${variant}: ${run.failed} decisions failed at the fixed rate`);
      const perDecision = (seconds: number) => (seconds / run.ok) * 1e6;
      const total = perDecision(used.processes.get(pid)! * used.seconds);
      const main = perDecision(mainTicks / 100);
      const ship = perDecision(shippingSeconds);
      return { total, main, shipping: ship, other: total - main - (Number.isNaN(ship) ? 0 : ship) };
    };

    options.log('observability: warming up off and on');
    await saturate('off', 3);
    await saturate('on', 3);
    const cpu: Record<Variant, CpuSplit[]> = { off: [], on: [] };
    const shippingBefore = await shippingCounters(servers.on, options);
    const cpuRuns = options.cpuRuns ?? 4;
    const cpuOrder = Array.from({ length: cpuRuns }, (_, i): Variant[] =>
      i % 2 ? ['on', 'off'] : ['off', 'on'],
    );
    for (const variant of cpuOrder.flat()) {
      const split = await cpuPerDecision(variant);
      cpu[variant].push(split);
      options.log(
        `observability: ${variant} ${fmt(split.total, 0)} µs CPU per decision at ${options.cpuRps}/s ` +
          `(main ${fmt(split.main, 0)}, shipping ${fmt(split.shipping, 1)}, other threads ${fmt(split.other, 0)})`,
      );
    }
    // The shipping thread reports its own CPU time: divided by what it shipped meanwhile, it is the
    // cost of shipping alone, which other work on the machine moves far less than the difference
    // of two whole-process figures.
    const shippingAfter = await shippingCounters(servers.on, options);
    const shippingCpuUs =
      ((shippingAfter.cpuSeconds - shippingBefore.cpuSeconds) /
        (shippingAfter.shipped - shippingBefore.shipped)) *
      1e6;
    if (options.shipping)
      options.log(`observability: shipping thread ${fmt(shippingCpuUs, 1)} µs CPU per decision shipped`);
    const rounds: Round[] = [];
    for (let i = 0; i < options.rounds; i++) {
      const order: Variant[] = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const variant of order) {
        const r = await saturate(variant, options.seconds);
        rounds.push(r);
        options.log(
          `observability: round ${i + 1} ${variant.padEnd(3)} ${fmt(r.rps, 0)} decisions/s, ` +
            `p99 ${r.p99} ms, ${r.failed} failed`,
        );
      }
    }
    // A backlog left by saturation goes out once the load stops: how long it takes is part of the price.
    const drainStarted = Date.now();
    let backlog = await shippingBacklog(servers.on, options);
    while (backlog !== undefined && backlog > 0 && Date.now() - drainStarted < 120_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      backlog = await shippingBacklog(servers.on, options);
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    return report(options, {
      cpu,
      shippingCpuUs,
      rounds,
      batches: collector.batches(),
      backlog,
      drainSeconds,
    });
  } finally {
    clearInterval(scraper);
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  options: ObservabilityOptions,
  runs: {
    cpu: Record<Variant, CpuSplit[]>;
    shippingCpuUs: number;
    rounds: Round[];
    batches: number;
    backlog: number | undefined;
    drainSeconds: number;
  },
): ObservabilityResult {
  const of = (variant: Variant) => runs.rounds.filter((r) => r.variant === variant);
  const pairs = Array.from({ length: options.rounds }, (_, i) => runs.rounds.slice(i * 2, i * 2 + 2));
  const ratio = (pair: Round[], key: 'rps' | 'p99') =>
    pair.find((r) => r.variant === 'on')![key] / pair.find((r) => r.variant === 'off')![key];
  const rpsRatios = pairs.map((pair) => ratio(pair, 'rps'));
  const p99Ratios = pairs.map((pair) => ratio(pair, 'p99'));
  const part = (variant: Variant, key: keyof CpuSplit) =>
    median(runs.cpu[variant].map((split) => split[key]));
  const split = (variant: Variant): CpuSplit => ({
    total: part(variant, 'total'),
    main: part(variant, 'main'),
    shipping: part(variant, 'shipping'),
    other: part(variant, 'other'),
  });
  const cpuSplit = { off: split('off'), on: split('on') };
  const cpuUs = { off: cpuSplit.off.total, on: cpuSplit.on.total };
  const rps = { off: median(of('off').map((r) => r.rps)), on: median(of('on').map((r) => r.rps)) };
  const p99 = { off: median(of('off').map((r) => r.p99)), on: median(of('on').map((r) => r.p99)) };
  const throughputCostPercent = (1 - median(rpsRatios)) * 100;
  const [lowRatio, highRatio] = medianInterval(rpsRatios);
  const throughputCostInterval: [number, number] = [(1 - highRatio) * 100, (1 - lowRatio) * 100];
  const failed = runs.rounds.reduce((sum, r) => sum + r.failed, 0);
  const on = [options.metrics && 'metrics scraped every second', options.shipping && 'every decision shipped']
    .filter(Boolean)
    .join(', ');
  const row = (variant: Variant) => [
    variant === 'on' ? `on (${on})` : 'off',
    fmt(cpuUs[variant], 0),
    fmt(rps[variant], 0),
    fmt(p99[variant], 0),
  ];
  const intro =
    'Observability on against off (`npm run bench:observability` runs this part alone): server CPU per ' +
    `decision at a fixed ${options.cpuRps} decisions/s (all threads; median of ${runs.cpu.off.length} runs of ` +
    `${options.cpuSeconds} s each, order alternating), then ${options.rounds} paired rounds at saturation (${options.connections} connections, ` +
    `${options.seconds} s each, order alternating).`;
  const costs =
    `CPU cost: ${fmt(cpuUs.on - cpuUs.off, 0)} µs per decision (${fmt((cpuUs.on / cpuUs.off - 1) * 100, 1)}%)` +
    (options.shipping
      ? `; the shipping thread's own CPU: ${fmt(runs.shippingCpuUs, 1)} µs per decision shipped ` +
        `(${fmt((runs.shippingCpuUs / cpuUs.off) * 100, 1)}% of a decision). `
      : '. ') +
    `Throughput cost: ${fmt(throughputCostPercent, 1)}% (90% interval of the median, bootstrap over the pairs: ` +
    `${fmt(throughputCostInterval[0], 1)}% to ${fmt(throughputCostInterval[1], 1)}%; on/off per pair: ` +
    `${rpsRatios.map((r) => r.toFixed(3)).join(', ')}); p99 on/off per pair: ` +
    `${p99Ratios.map((r) => r.toFixed(2)).join(', ')}. ${failed} failed requests.` +
    (options.shipping
      ? ` The collector acknowledged ${runs.batches} batches; shipping backlog ${fmt(runs.drainSeconds, 1)} s after ` +
        `the last round: ${runs.backlog ?? 'n/a'}.`
      : '');
  const markdown = [
    intro,
    '',
    markdownTable(['modelgate', 'CPU µs/decision', 'decisions/s', 'p99 ms'], [row('off'), row('on')]),
    '',
    costs,
    '',
    'CPU µs per decision at the fixed rate by thread (median of the runs per column, so the parts need not add up ' +
      'exactly): the main thread serves decisions; "other" is the audit writer, V8\'s GC helpers and libuv\'s pool.',
    '',
    markdownTable(
      ['modelgate', 'all threads', 'main thread', 'shipping thread', 'other threads'],
      (['off', 'on'] as const).map((variant) => [
        variant,
        fmt(cpuSplit[variant].total, 0),
        fmt(cpuSplit[variant].main, 0),
        fmt(cpuSplit[variant].shipping, 1),
        fmt(cpuSplit[variant].other, 0),
      ]),
    ),
  ].join('\n');
  return {
    cpuUs,
    cpuSplit,
    shippingCpuUs: runs.shippingCpuUs,
    rps,
    p99,
    throughputCostPercent,
    throughputCostInterval,
    markdown: markdown.trim(),
  };
}

// Records recorded but not yet acknowledged by the service sink, from /metrics (undefined without them).
async function shippingBacklog(
  server: ServerProcess,
  options: ObservabilityOptions,
): Promise<number | undefined> {
  if (!options.shipping || !options.metrics) return undefined;
  const text = await fetch(`${server.baseUrl}/metrics`).then((r) => r.text());
  const value = /^modelgate_decision_log_backlog_records\{sink="service"\} (\d+)$/m.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

// The shipping thread's CPU seconds and the decisions shipped to the service sink, from /metrics.
async function shippingCounters(
  server: ServerProcess,
  options: ObservabilityOptions,
): Promise<{ cpuSeconds: number; shipped: number }> {
  if (!options.shipping || !options.metrics) return { cpuSeconds: NaN, shipped: NaN };
  const text = await fetch(`${server.baseUrl}/metrics`).then((r) => r.text());
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  return {
    cpuSeconds: value(/^modelgate_decision_log_thread_cpu_seconds_total (\S+)$/m),
    shipped: value(/^modelgate_decision_log_shipped_total\{sink="service"\} (\S+)$/m),
  };
}

// An OPA decision log service that acknowledges every batch (it counts them and reads nothing).
async function startCollector(): Promise<{ url: string; batches: () => number; close: () => void }> {
  let batches = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      batches += 1;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches: () => batches,
    close: () => server.close(),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '32' },
      'cpu-rate': { type: 'string', default: '400' },
      'cpu-seconds': { type: 'string', default: '10' },
      'cpu-runs': { type: 'string', default: '4' },
      'no-shipping': { type: 'boolean', default: false },
      'no-metrics': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'thread-nice': { type: 'string' },
      main: { type: 'string' },
    },
  });
  console.log(`machine: ${describeMachine(opaBinary())} (shared: figures are indicative)`);
  const result = await runObservability({
    build: values.main
      ? { main: path.resolve(values.main), memoryProbe: '' }
      : values['no-build']
        ? builtDist()
        : buildDist(),
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    cpuRps: Number(values['cpu-rate']),
    cpuSeconds: Number(values['cpu-seconds']),
    cpuRuns: Number(values['cpu-runs']),
    metrics: !values['no-metrics'],
    shipping: !values['no-shipping'],
    threadNice: values['thread-nice'] === undefined ? undefined : Number(values['thread-nice']),
    log: (line) => console.log(line),
  });
  console.log(`\n${result.markdown}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
