/**
 * `npx tsx bench/cores.ts [--rounds 4] [--seconds 8] [--connections 64] [--no-build]`: what a core buys A
 * (full /v1/decide) and C (OPA's server), measured on one machine by CPU affinity. The load generator (this
 * process) keeps CPU 0; each server runs on CPU 1 alone, then on CPUs 0 and 1 (the second shared with the
 * load generator, as in every other run here), started on those CPUs so that it sizes itself for them. Rounds alternate servers and core counts, so whatever else
 * the machine did fell on all of them. Prints req/s, the cores each server used, A's CPU per decision by
 * thread, and the gain from the second core.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordInputOf } from './lib/agreement';
import { buildBenchPolicy } from './lib/bench-policy';
import { buildDist, builtDist } from './lib/build-dist';
import { benchIssuer, startModelgate, startOpa } from './lib/contenders';
import { cpuSnapshot, cpuUsage } from './lib/cpu-meter';
import { markdownTable } from './lib/markdown';
import { saturate } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import { median } from './lib/stats';
import type { Target } from './lib/target';
import { threadCpu } from './lib/thread-times';
import { decideBody } from './lib/workload';

const GENERATOR_CPU = '0';
const LAYOUTS = [
  { cores: 1, cpus: '1' },
  { cores: 2, cpus: '0,1' },
] as const;

/** Pins every thread of a process (and the threads it starts later) to `cpus`. */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
}

interface Run {
  rps: number[];
  cores: number[];
  /** CPU ns by thread name, summed over the rounds; `decisions` is what those rounds served. */
  threads: Map<string, number>;
  decisions: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '64' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (os.cpus().length < 2) throw new Error('this benchmark needs at least 2 CPUs');
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-cores-'));
  const servers: ServerProcess[] = [];
  try {
    const main = (values['no-build'] ? builtDist() : buildDist()).main;
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    // Each server starts on the CPUs it will have, as it would on a machine of that size: a child inherits
    // this process's affinity, and modelgate sizes its thread pools, Go its scheduler, from it.
    const contenders: {
      name: string;
      layout: (typeof LAYOUTS)[number];
      server: ServerProcess;
      target: Target;
    }[] = [];
    let input: Record<string, unknown> | undefined;
    for (const layout of LAYOUTS) {
      pin(process.pid, layout.cpus);
      const name = `A${layout.cores}`;
      const a = await startModelgate({ main, dir: path.join(dir, name), name, policy, issuer });
      servers.push(a);
      const decide: Target = {
        name: 'A',
        url: `${a.baseUrl}/v1/decide`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
        body: JSON.stringify(decideBody()),
      };
      input ??= await recordInputOf(decide, path.join(dir, name, 'modelgate.db'));
      contenders.push({ name: 'A', layout, server: a, target: decide });
      const opa = await startOpa(policy, dir);
      servers.push(opa);
      contenders.push({
        name: 'C',
        layout,
        server: opa,
        target: {
          name: 'C',
          url: `${opa.baseUrl}/v1/data/modelgate/decision`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input }),
        },
      });
    }
    pin(process.pid, GENERATOR_CPU);
    const runs = new Map<string, Run>();
    const key = (name: string, cores: number) => `${name}@${cores}`;
    for (const c of contenders) {
      runs.set(key(c.name, c.layout.cores), { rps: [], cores: [], threads: new Map(), decisions: 0 });
      await saturate(c.target, connections, 3); // warm-up
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const threadsBefore = threadCpu(c.server.pid);
        const before = cpuSnapshot([c.server.pid]);
        const result = await saturate(c.target, connections, seconds);
        const usage = cpuUsage(before, cpuSnapshot([c.server.pid]));
        const run = runs.get(key(c.name, c.layout.cores))!;
        run.rps.push(result.rps);
        run.cores.push(usage.processes.get(c.server.pid) ?? NaN);
        run.decisions += result.ok;
        for (const [thread, ns] of threadCpu(c.server.pid)) {
          run.threads.set(thread, (run.threads.get(thread) ?? 0) + ns - (threadsBefore.get(thread) ?? 0));
        }
        console.log(
          `round ${round + 1}: ${c.name} on ${c.layout.cores} core(s) ${result.rps.toFixed(0)} req/s, ` +
            `${(usage.processes.get(c.server.pid) ?? NaN).toFixed(2)} cores, ${result.failed} failed`,
        );
      }
    }
    report(runs, { rounds, seconds, connections });
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  runs: Map<string, Run>,
  options: { rounds: number; seconds: number; connections: number },
): void {
  const get = (name: string, cores: number) => runs.get(`${name}@${cores}`)!;
  const rows = LAYOUTS.map(({ cores }) => {
    const a = get('A', cores);
    const c = get('C', cores);
    return [
      cores === 1 ? 'CPU 1 alone' : 'CPUs 0 and 1 (0 shared with the load generator)',
      median(a.rps).toFixed(0),
      median(a.cores).toFixed(2),
      median(c.rps).toFixed(0),
      median(c.cores).toFixed(2),
      (median(a.rps) / median(c.rps)).toFixed(2),
    ];
  });
  console.log(
    `\nMedians of ${options.rounds} rounds of ${options.seconds} s, ${options.connections} connections; ` +
      `the load generator on CPU ${GENERATOR_CPU}.\n`,
  );
  console.log(
    markdownTable(['server on', 'A req/s', 'A cores used', 'C req/s', 'C cores used', 'A ÷ C'], rows),
  );
  const gain = (name: string) => median(get(name, 2).rps) / median(get(name, 1).rps);
  console.log(`\nThe second core: A ×${gain('A').toFixed(2)}, C ×${gain('C').toFixed(2)}.\n`);
  // Node names every thread "node": the main thread (the event loop) is told apart, the others by rank.
  const roles = ['the event loop (main thread)', 'busiest other thread', 'second busiest', 'all the others'];
  const byRole = LAYOUTS.map(({ cores }) => {
    const run = get('A', cores);
    const us = (ns: number) => ns / 1e3 / run.decisions;
    const others = [...run.threads].filter(([name]) => !name.includes('(main)')).map(([, ns]) => us(ns));
    others.sort((x, y) => y - x);
    const main = [...run.threads].filter(([name]) => name.includes('(main)')).map(([, ns]) => us(ns));
    return [
      main.reduce((x, y) => x + y, 0),
      others[0] ?? 0,
      others[1] ?? 0,
      others.slice(2).reduce((x, y) => x + y, 0),
    ];
  });
  const header = ['A thread', ...LAYOUTS.map(({ cores }) => `CPU µs per decision, ${cores} core(s)`)];
  console.log(
    markdownTable(
      header,
      roles.map((role, i) => [role, ...byRole.map((values) => values[i]!.toFixed(0))]),
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
