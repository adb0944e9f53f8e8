/**
 * Before/after measurements of an optimisation, on the same machine at the same time:
 *   npx tsx bench/compare.ts snapshot NAME      compile src/ and keep the result as NAME
 *   npx tsx bench/compare.ts run BEFORE AFTER [--path decide|data] [--rounds 4] [--seconds 8] [--fixed RPS]
 * A contender may be NAME+FLAGS: the snapshot run with node flags (comma-separated), e.g.
 * `run base base+--max-semi-space-size=32` to compare a V8 setting on the same build. The name `opa` is
 * contender C of the full benchmark: OPA's server on the same policy, asked with the input the first
 * snapshot recorded (`run NAME opa --rounds 12`: A against C, paired, more rounds than the full run's 3).
 * The names `durable-floor` and `durable-floor-inline` are the durable floor (lib/durable-floor-server.js): a
 * trivial server that replies once the body is committed with an fsync, on a writer thread or inline;
 * `durable-floor+burn=180,hop` adds 180 µs of CPU on its event loop and a round trip to a thread per request.
 * `run` starts one modelgate per snapshot (the set-up of contender A, or B with --path data) and
 * saturates them in alternation, so that whatever else runs on the machine hits both alike; with
 * --fixed, it offers each that many requests per second instead and compares latency.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordInputOf } from './lib/agreement';
import { buildBenchPolicy, ROOT } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startDurableFloorServer, startModelgate, startOpa } from './lib/contenders';
import { cpuSnapshot, cpuUsage } from './lib/cpu-meter';
import { fixedRate } from './lib/fixed-rate';
import { fmt } from './lib/markdown';
import { median } from './lib/stats';
import { saturate } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import type { Target } from './lib/target';
import { decideBody } from './lib/workload';

const SNAPSHOTS = path.join(ROOT, 'node_modules', '.cache', 'modelgate-bench', 'snapshots');

function snapshot(name: string): void {
  buildDist();
  const dir = path.join(SNAPSHOTS, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // dist/ finds package.json one level up, as it does in the repository.
  cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  console.log(`snapshot ${name}: ${dir}`);
}

async function run(
  names: string[],
  options: { path: string; rounds: number; seconds: number; connections: number; fixed?: number },
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-compare-'));
  const servers: ServerProcess[] = [];
  try {
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` };
    const targets: { name: string; server: ServerProcess; target: Target }[] = [];
    for (const name of names) {
      if (name === 'opa') {
        const first = targets[0];
        if (!first) throw new Error('opa needs a snapshot before it, whose recorded input it is asked with');
        const server = await startOpa(policy, dir);
        servers.push(server);
        const input = await recordInputOf(first.target, path.join(dir, first.name, 'modelgate.db'));
        const target: Target = {
          name,
          url: `${server.baseUrl}/v1/data/modelgate/decision`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input }),
        };
        targets.push({ name, server, target });
        await saturate(target, options.connections, 5); // warm-up
        continue;
      }
      // NAME+OPTIONS: node flags for a snapshot, the floor's options for the durable floor.
      const [base, extras] = name.split(/\+(.*)/s) as [string, string | undefined];
      if (base === 'durable-floor' || base === 'durable-floor-inline') {
        const mode = base.endsWith('inline') ? 'inline' : 'thread';
        const server = await startDurableFloorServer(path.join(dir, name), mode, extras?.split(',') ?? []);
        servers.push(server);
        const target: Target = {
          name,
          url: `${server.baseUrl}/`,
          headers,
          body: JSON.stringify(decideBody()),
        };
        targets.push({ name, server, target });
        await saturate(target, options.connections, 5); // warm-up
        continue;
      }
      // NAME+FLAGS: the snapshot NAME run with node flags, e.g. base+--max-semi-space-size=32 (comma-separated).
      const server = await startModelgate({
        main: path.join(SNAPSHOTS, base, 'dist', 'cli', 'main.js'),
        dir: path.join(dir, name),
        name,
        policy,
        issuer,
        nodeArgs: extras ? extras.split(',') : undefined,
      });
      servers.push(server);
      const decide: Target = {
        name,
        url: `${server.baseUrl}/v1/decide`,
        headers,
        body: JSON.stringify(decideBody()),
      };
      let target = decide;
      if (options.path === 'data') {
        const input = await recordInputOf(decide, path.join(dir, name, 'modelgate.db'));
        target = {
          name,
          url: `${server.baseUrl}/v1/data/modelgate/decision`,
          headers,
          body: JSON.stringify({ input }),
        };
      }
      targets.push({ name, server, target });
      await saturate(target, options.connections, 5); // warm-up
    }
    if (options.fixed) await compareLatency(targets, names, options.fixed, options);
    else await compareThroughput(targets, servers, names, options);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

type Contender = { name: string; server: ServerProcess; target: Target };

async function compareThroughput(
  targets: Contender[],
  servers: ServerProcess[],
  names: string[],
  options: { rounds: number; seconds: number; connections: number },
): Promise<void> {
  const pids = [process.pid, ...servers.map((s) => s.pid)];
  const rps = new Map<string, number[]>(names.map((n) => [n, []]));
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const before = cpuSnapshot(pids);
      const result = await saturate(t.target, options.connections, options.seconds);
      const usage = cpuUsage(before, cpuSnapshot(pids));
      if (result.failed > 0) throw new Error(`${t.name}: ${result.failed} requests failed`);
      const us = ((usage.processes.get(t.server.pid) ?? NaN) * usage.seconds * 1e6) / result.ok;
      rps.get(t.name)!.push(result.rps);
      cpu.get(t.name)!.push(us);
      console.log(
        `round ${round + 1} ${t.name}: ${fmt(result.rps)} req/s, ${fmt(us, 0)} CPU µs/req, other load ${fmt(usage.other)} cores`,
      );
    }
  }
  // Each round's ratio compares runs a few seconds apart: the median of those ratios is far less
  // sensitive to other jobs on the machine than a ratio of medians.
  const paired = (m: Map<string, number[]>, name: string) =>
    median(m.get(name)!.map((x, i) => x / m.get(names[0]!)![i]!));
  for (const name of names) {
    console.log(
      `${name.padEnd(16)} ${fmt(median(rps.get(name)!)).padStart(7)} req/s (paired ratio ${paired(rps, name).toFixed(3)})  ` +
        `${fmt(median(cpu.get(name)!), 0).padStart(6)} CPU µs/req (paired ratio ${paired(cpu, name).toFixed(3)})`,
    );
  }
}

// Open-loop latency at a fixed offered load, builds alternating; the median of each build's p50s, p99s, p99.9s.
async function compareLatency(
  targets: Contender[],
  names: string[],
  rps: number,
  options: { rounds: number; seconds: number },
): Promise<void> {
  const quantiles = ['p50', 'p99', 'p999'] as const;
  const seen = new Map(
    names.map((n) => [n, { p50: [] as number[], p99: [] as number[], p999: [] as number[] }]),
  );
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const result = await fixedRate(t.target, rps, options.seconds);
      if (result.failed > 0) throw new Error(`${t.name}: ${result.failed} requests failed`);
      for (const q of quantiles) seen.get(t.name)![q].push(result[q]);
      console.log(
        `round ${round + 1} ${t.name}: p50 ${fmt(result.p50, 3)} p99 ${fmt(result.p99, 3)} p99.9 ${fmt(result.p999, 3)} ms`,
      );
    }
  }
  for (const name of names) {
    const { p50, p99, p999 } = seen.get(name)!;
    const all = p99.map((x) => fmt(x, 1)).join(', ');
    console.log(
      `${name.padEnd(16)} p50 median ${fmt(median(p50), 3)} ms, p99.9 median ${fmt(median(p999), 3)} ms`,
    );
    console.log(`${name.padEnd(16)} p99 median ${fmt(median(p99), 3)} ms (${all})`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      path: { type: 'string', default: 'decide' },
      rounds: { type: 'string', default: '10' },
      seconds: { type: 'string', default: '4' },
      connections: { type: 'string', default: '64' },
      fixed: { type: 'string' },
    },
  });
  const [command, ...names] = positionals;
  if (command === 'snapshot' && names.length === 1) return snapshot(names[0]!);
  if (command === 'run' && names.length >= 2) {
    return run(names, {
      path: values.path,
      rounds: Number(values.rounds),
      seconds: Number(values.seconds),
      connections: Number(values.connections),
      fixed: values.fixed ? Number(values.fixed) : undefined,
    });
  }
  throw new Error(
    'usage: compare.ts snapshot NAME | run BEFORE AFTER...|opa [--path decide|data] [--fixed RPS] [--rounds N] [--seconds S]',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
