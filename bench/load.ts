/**
 * Side-by-side load test: modelgate's full /v1/decide path (A), its OPA-compatible Data API (B), and
 * `opa run --server` (C), on loopback, alternating the contenders. See bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkAgreement, recordedOutcomes } from './lib/agreement';
import { cpuSnapshot, cpuUsage } from './lib/cpu-meter';
import { buildBenchPolicy, ROOT } from './lib/bench-policy';
import type { BenchBuild } from './lib/build-dist';
import { benchIssuer, startFloorServer, startModelgate, startOpa } from './lib/contenders';
import { fixedRate, type FixedRateResult } from './lib/fixed-rate';
import { fmt, markdownTable, mib } from './lib/markdown';
import { saturate } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import type { Target } from './lib/target';
import { decideBody } from './lib/workload';
import { median } from './lib/stats';
import { startPgCluster, type PgCluster } from '../test/helpers/postgres-cluster';

/** How long and how hard to drive the contenders. */
export interface LoadOptions {
  build: BenchBuild;
  connections: number;
  warmupSeconds: number;
  saturationSeconds: number;
  saturationRounds: number;
  fixedSeconds: number;
  fixedRounds: number;
  /** Also run A with `audit.synchronous: NORMAL` (contender "A/NORMAL"). */
  normal: boolean;
  /** Also run A on a throw-away PostgreSQL (contender "A/PG": database.url, one replica). */
  postgres?: boolean;
  /** Also run A and B on this older build (contenders "A before", "B before"), e.g. a snapshot of HEAD. */
  beforeMain?: string;
  /** How the table names that build. */
  beforeLabel?: string;
  /** Write a V8 CPU profile of A (and B) into this folder. */
  cpuProfDir?: string;
  log: (line: string) => void;
}

/** One contender's figures. */
export interface ContenderResult {
  name: string;
  description: string;
  saturation: number[];
  rps: number;
  /** Server CPU time per request at saturation (all its threads), µs; median of the rounds. */
  cpuUsPerRequest: number;
  fixed: FixedRateResult[];
  latency: FixedRateResult;
  peakRss: number;
}

/** What the load test measured, with the Markdown report. */
export interface LoadResult {
  contenders: ContenderResult[];
  offeredRps: number;
  /** The same fixed-rate run against a trivial node:http server: what the machine and harness add. */
  floor: FixedRateResult;
  /** CPU used by other processes on the machine, and taken by the hypervisor (steal), during the timed runs, in cores. */
  otherLoad: OtherLoad;
  input: Record<string, unknown>;
  markdown: string;
}

interface OtherLoad {
  median: number;
  max: number;
  stealMedian: number;
  stealMax: number;
  /** Runs repeated because of other load. */
  repeated: number;
}

const BUSY_CORES = 0.25;
const MAX_REPEATS = 2;

interface Contender {
  name: string;
  description: string;
  server: ServerProcess;
  target: Target;
  db?: string;
  /** A process tree that works for this contender alone (A/PG's PostgreSQL): its CPU is the contender's. */
  companion?: number;
}

/** Runs the load test and returns its results; every server it starts is stopped before it returns. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { log } = options;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-'));
  const servers: ServerProcess[] = [];
  let pg: PgCluster | undefined;
  // Also on Ctrl-C, when the finally below does not run.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  try {
    log(`building the bench policy (copy of rego/ + bench identity) in ${dir}`);
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    const token = issuer.token();
    const profArgs = (name: string) =>
      options.cpuProfDir
        ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`]
        : [];
    const modelgate = async (name: string, synchronous: 'FULL' | 'NORMAL', main = options.build.main) => {
      const server = await startModelgate({
        main,
        dir: path.join(dir, name),
        name,
        policy,
        issuer,
        synchronous,
        nodeArgs: profArgs(name),
      });
      servers.push(server);
      return server;
    };
    const mgA = await modelgate('modelgate-a', 'FULL');
    const mgB = await modelgate('modelgate-b', 'FULL');
    const mgN = options.normal ? await modelgate('modelgate-a-normal', 'NORMAL') : undefined;
    if (options.postgres) {
      log('starting a throw-away PostgreSQL for A/PG');
      pg = await startPgCluster();
    }
    const mgP = pg
      ? await startModelgate({
          main: options.build.main,
          dir: path.join(dir, 'modelgate-a-pg'),
          name: 'modelgate-a-pg',
          policy,
          issuer,
          config: { database: { url: await pg.createDatabase() } },
        })
      : undefined;
    if (mgP) servers.push(mgP);
    const before = options.beforeMain;
    const mgA0 = before ? await modelgate('modelgate-a-before', 'FULL', before) : undefined;
    const mgB0 = before ? await modelgate('modelgate-b-before', 'FULL', before) : undefined;
    const opa = await startOpa(policy, dir);
    servers.push(opa);
    const floorServer = await startFloorServer();
    servers.push(floorServer);
    const floorTarget: Target = {
      name: 'floor',
      url: `${floorServer.baseUrl}/`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    };

    const json = { 'content-type': 'application/json' };
    const auth = { ...json, authorization: `Bearer ${token}` };
    const decide = (server: ServerProcess, name: string): Target => ({
      name,
      url: `${server.baseUrl}/v1/decide`,
      headers: auth,
      body: JSON.stringify(decideBody()),
    });
    const a = decide(mgA, 'A');
    const agreement = await checkAgreement(a, path.join(dir, 'modelgate-a', 'modelgate.db'), (input) => ({
      b: {
        name: 'B',
        url: `${mgB.baseUrl}/v1/data/modelgate/decision`,
        headers: auth,
        body: JSON.stringify({ input }),
      },
      c: {
        name: 'C',
        url: `${opa.baseUrl}/v1/data/modelgate/decision`,
        headers: json,
        body: JSON.stringify({ input }),
      },
    }));
    const dataBody = JSON.stringify({ input: agreement.input });
    log(`A allows with ${JSON.stringify(agreement.decideReply.obligations)}; B and C return the same result`);

    const contenders: Contender[] = [
      {
        name: 'A',
        description: 'modelgate POST /v1/decide, full path, audit FULL',
        server: mgA,
        target: a,
        db: path.join(dir, 'modelgate-a', 'modelgate.db'),
      },
      {
        name: 'B',
        description: 'modelgate POST /v1/data/modelgate/decision',
        server: mgB,
        target: {
          name: 'B',
          url: `${mgB.baseUrl}/v1/data/modelgate/decision`,
          headers: auth,
          body: dataBody,
        },
        db: path.join(dir, 'modelgate-b', 'modelgate.db'),
      },
      {
        name: 'C',
        description: `opa run --server (${path.basename(policy.opa)}), POST /v1/data/modelgate/decision`,
        server: opa,
        target: {
          name: 'C',
          url: `${opa.baseUrl}/v1/data/modelgate/decision`,
          headers: json,
          body: dataBody,
        },
      },
    ];
    if (mgN) {
      contenders.splice(1, 0, {
        name: 'A/NORMAL',
        description: 'as A, audit synchronous NORMAL',
        server: mgN,
        target: decide(mgN, 'A/NORMAL'),
        db: path.join(dir, 'modelgate-a-normal', 'modelgate.db'),
      });
    }
    if (mgP) {
      contenders.splice(1, 0, {
        name: 'A/PG',
        description: "as A, audit log and usage in PostgreSQL (one replica); its CPU includes PostgreSQL's",
        server: mgP,
        target: decide(mgP, 'A/PG'),
        companion: pg?.serverPid() ?? undefined,
      });
    }
    if (mgA0 && mgB0) {
      contenders.unshift(
        {
          name: 'A before',
          description: `as A, on ${options.beforeLabel ?? path.relative(ROOT, before!)}`,
          server: mgA0,
          target: decide(mgA0, 'A before'),
          db: path.join(dir, 'modelgate-a-before', 'modelgate.db'),
        },
        {
          name: 'B before',
          description: `as B, on ${options.beforeLabel ?? path.relative(ROOT, before!)}`,
          server: mgB0,
          target: {
            name: 'B before',
            url: `${mgB0.baseUrl}/v1/data/modelgate/decision`,
            headers: auth,
            body: dataBody,
          },
          db: path.join(dir, 'modelgate-b-before', 'modelgate.db'),
        },
      );
    }

    for (const c of contenders) {
      const warm = await saturate(c.target, options.connections, options.warmupSeconds);
      log(`warm-up ${c.name}: ${fmt(warm.rps)} req/s`);
      if (warm.failed > 0) throw new Error(`${c.name} failed ${warm.failed} requests during the warm-up`);
    }

    // Every process we started, and ourselves (autocannon runs in this process): the rest is other load.
    const pids = [process.pid, ...servers.map((s) => s.pid)];
    const trees = contenders.flatMap((c) => (c.companion ? [c.companion] : []));
    const other: number[] = [];
    const steal: number[] = [];
    let repeated = 0;
    // Other jobs on a shared machine come and go: a run during which they (or the hypervisor) took
    // more than a quarter of a core is repeated, twice at most, so one busy run does not decide a median.
    // A contender's companion (A/PG's PostgreSQL) is its own while it runs, and other load for everyone else:
    // its background work after A/PG's round (autovacuum, checkpoints) would otherwise fall unseen on the next.
    const quietly = async <T>(label: string, own: Contender, measure: () => Promise<T>) => {
      for (let attempt = 0; ; attempt++) {
        const before = cpuSnapshot(pids, trees);
        const result = await measure();
        const cpu = cpuUsage(before, cpuSnapshot(pids, trees));
        const others = trees.filter((pid) => pid !== own.companion);
        const otherCores = cpu.other + others.reduce((sum, pid) => sum + (cpu.processes.get(pid) ?? 0), 0);
        if (otherCores + cpu.steal <= BUSY_CORES || attempt === MAX_REPEATS) {
          other.push(otherCores);
          steal.push(cpu.steal);
          return { result, cpu, otherCores };
        }
        repeated += 1;
        log(`${label}: other jobs took ${fmt(otherCores)} cores and steal ${fmt(cpu.steal)}: repeating`);
      }
    };
    const saturation = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    const cpuPerRequest = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < options.saturationRounds; round++) {
      for (const c of rotate(contenders, round)) {
        const {
          result: run,
          cpu,
          otherCores,
        } = await quietly(`saturation round ${round + 1} ${c.name}`, c, () =>
          saturate(c.target, options.connections, options.saturationSeconds),
        );
        if (run.failed > 0) throw new Error(`${c.name} failed ${run.failed} requests at saturation`);
        const companionCores = c.companion ? (cpu.processes.get(c.companion) ?? NaN) : 0;
        const serverCores = (cpu.processes.get(c.server.pid) ?? NaN) + companionCores;
        const usPerRequest = (serverCores * cpu.seconds * 1e6) / run.ok;
        saturation.get(c.name)!.push(run.rps);
        cpuPerRequest.get(c.name)!.push(usPerRequest);
        log(
          `saturation round ${round + 1} ${c.name}: ${fmt(run.rps)} req/s, server ${fmt(serverCores)} cores ` +
            (c.companion ? `(of which PostgreSQL ${fmt(companionCores)}) ` : '') +
            `(${fmt(usPerRequest, 0)} µs/req), load generator ${fmt(cpu.processes.get(process.pid) ?? NaN)} cores, ` +
            `other ${fmt(otherCores)} cores, steal ${fmt(cpu.steal)}`,
        );
      }
    }
    const rpsOf = (name: string) => median(saturation.get(name)!);
    const offeredRps = Math.round(rpsOf('C') / 2);

    const fixed = new Map<string, FixedRateResult[]>(contenders.map((c) => [c.name, []]));
    const floorRuns: FixedRateResult[] = [];
    for (let round = 0; round < options.fixedRounds; round++) {
      floorRuns.push(await fixedRate(floorTarget, offeredRps, options.fixedSeconds, options.connections));
      const f = floorRuns.at(-1)!;
      log(
        `fixed ${offeredRps} req/s round ${round + 1} floor: p50 ${fmt(f.p50, 3)} p99 ${fmt(f.p99, 3)} p99.9 ${fmt(f.p999, 3)} ms`,
      );
      for (const c of rotate(contenders, round)) {
        const { result: run } = await quietly(`fixed round ${round + 1} ${c.name}`, c, () =>
          fixedRate(c.target, offeredRps, options.fixedSeconds, options.connections),
        );
        fixed.get(c.name)!.push(run);
        log(
          `fixed ${offeredRps} req/s round ${round + 1} ${c.name}: p50 ${fmt(run.p50, 3)} p99 ${fmt(run.p99, 3)} ` +
            `p99.9 ${fmt(run.p999, 3)} ms (achieved ${fmt(run.achievedRps)} req/s, ${run.failed} failed)`,
        );
      }
    }

    for (const c of contenders.filter((x) => x.db)) {
      const outcomes = recordedOutcomes(c.db!);
      log(`${c.name} audit log: ${JSON.stringify(outcomes)}`);
      if (Object.keys(outcomes).some((o) => o !== 'allowed'))
        throw new Error(`${c.name} recorded non-allowed decisions`);
    }

    const results: ContenderResult[] = contenders.map((c) => {
      const runs = fixed.get(c.name)!;
      return {
        name: c.name,
        description: c.description,
        saturation: saturation.get(c.name)!,
        rps: rpsOf(c.name),
        cpuUsPerRequest: median(cpuPerRequest.get(c.name)!),
        fixed: runs,
        // The worse of the rounds: a tail that shows up once is still a tail.
        latency: runs.reduce((worst, r) => (r.p99 > worst.p99 ? r : worst)),
        peakRss: c.server.peakRss(),
      };
    });
    const otherLoad = {
      median: median(other),
      max: Math.max(...other),
      stealMedian: median(steal),
      stealMax: Math.max(...steal),
      repeated,
    };
    const floor = floorRuns.reduce((worst, r) => (r.p99 > worst.p99 ? r : worst));
    return {
      contenders: results,
      offeredRps,
      floor,
      otherLoad,
      input: agreement.input,
      markdown: loadMarkdown(results, offeredRps, floor, otherLoad, options),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadMarkdown(
  results: ContenderResult[],
  offeredRps: number,
  floor: FixedRateResult,
  otherLoad: OtherLoad,
  options: LoadOptions,
): string {
  const c = results.find((r) => r.name === 'C')!;
  const table = markdownTable(
    [
      '',
      'contender',
      'req/s at saturation',
      '÷ C',
      'server CPU µs/req',
      `p50 ms @ ${offeredRps}/s`,
      'p99 ms',
      'p99.9 ms',
      'peak RSS',
    ],
    results
      .map((r) => [
        `**${r.name}**`,
        r.description,
        `${fmt(r.rps)} (${r.saturation.map((x) => fmt(x, 0)).join(', ')})`,
        r.name === 'C' ? '1' : `${(r.rps / c.rps).toFixed(2)}×`,
        fmt(r.cpuUsPerRequest, 0),
        fmt(r.latency.p50, 3),
        `${fmt(r.latency.p99, 3)}${r.fixed.length > 1 ? ` (${r.fixed.map((f) => fmt(f.p99, 1)).join(', ')})` : ''}`,
        fmt(r.latency.p999, 3),
        mib(r.peakRss),
      ])
      .concat([
        [
          '*floor*',
          '*trivial node:http server, fixed reply: the latency floor of this machine and harness*',
          '',
          '',
          '',
          fmt(floor.p50, 3),
          fmt(floor.p99, 3),
          fmt(floor.p999, 3),
          '',
        ],
      ]),
  );
  return [
    table,
    '',
    `Saturation: autocannon, ${options.connections} connections, ${options.saturationRounds} rounds of ` +
      `${options.saturationSeconds} s per contender after a ${options.warmupSeconds} s warm-up, contenders alternating; ` +
      'the median is shown, each round in brackets. ' +
      `Latency: open loop at ${offeredRps} req/s (half of C's saturation), ${options.fixedRounds} rounds of ` +
      `${options.fixedSeconds} s, measured from when each request was due; the round with the worse p99 is shown ` +
      '(each round’s p99 in brackets). ' +
      'Server CPU: user + system time of the server process (all threads) per request at saturation. ' +
      'Peak RSS: VmHWM of the server process at the end.',
    '',
    `Other load during the timed runs kept (${otherLoad.repeated} runs were repeated because of it): ` +
      `processes this benchmark did not start used median ` +
      `${fmt(otherLoad.median)} cores (max ${fmt(otherLoad.max)}); the hypervisor took median ` +
      `${fmt(otherLoad.stealMedian)} cores (max ${fmt(otherLoad.stealMax)}) of the vCPUs (steal)` +
      (Math.max(otherLoad.max, otherLoad.stealMax) > BUSY_CORES
        ? ' — **the machine was shared: absolute figures are low; compare the ratios**.'
        : '.'),
  ].join('\n');
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
