/**
 * `npx tsx bench/threads.ts [--seconds 10] [--connections 64] [--rate R] [--main dist/cli/main.js]`: saturates
 * one modelgate (contender A's set-up), or offers it R decisions a second (open loop), and prints the CPU each
 * of its threads used per decision, with the load generator's and the machine's idle share, and how long each
 * thread was ready to run but had no core: where a 2-core machine's time goes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBenchPolicy, ROOT } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { drive } from './lib/drive';
import { saturate } from './lib/saturate';
import { threadTimes } from './lib/thread-times';
import { decideBody } from './lib/workload';

function machineTicks(): { idle: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (cpu[3] ?? 0) + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      main: { type: 'string' },
      sync: { type: 'string', default: 'FULL' },
      rate: { type: 'string' },
    },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-threads-'));
  try {
    const main = values.main ?? buildDist().main;
    const issuer = benchIssuer();
    const server = await startModelgate({
      main: path.resolve(ROOT, main),
      dir: path.join(dir, 'mg'),
      name: 'A',
      policy: buildBenchPolicy(dir),
      issuer,
      synchronous: values.sync === 'NORMAL' ? 'NORMAL' : 'FULL',
    });
    const target = {
      name: 'A',
      url: `${server.baseUrl}/v1/decide`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
      body: JSON.stringify(decideBody()),
    };
    await saturate(target, Number(values.connections), 3); // warm-up
    const before = threadTimes(server.pid);
    const machine = machineTicks();
    const self = process.cpuUsage();
    const seconds = Number(values.seconds);
    const run = await drive(target, {
      rate: values.rate === undefined ? undefined : Number(values.rate),
      connections: Number(values.connections),
      seconds,
    });
    const after = threadTimes(server.pid);
    const machineAfter = machineTicks();
    const own = process.cpuUsage(self);
    await server.stop();
    const decisions = run.rps * run.seconds;
    console.log(`A: ${run.rps.toFixed(0)} req/s over ${run.seconds} s, ${run.failed} failed`);
    console.log(
      'thread                      CPU µs/decision   of which kernel   cores   waiting for a core   times on a CPU/decision',
    );
    for (const [name, times] of after) {
      const was = before.get(name) ?? { runNs: 0, waitNs: 0, slices: 0, systemNs: 0 };
      const used = (times.runNs - was.runNs) / 1e3;
      const waited = (times.waitNs - was.waitNs) / 1e3;
      if (used / decisions >= 1)
        console.log(
          `${name.padEnd(28)}${(used / decisions).toFixed(0).padStart(15)}${((times.systemNs - was.systemNs) / 1e3 / decisions).toFixed(0).padStart(18)}${(used / 1e6 / run.seconds).toFixed(2).padStart(8)}${(waited / 1e6 / run.seconds).toFixed(2).padStart(21)}${((times.slices - was.slices) / decisions).toFixed(2).padStart(26)}`,
        );
    }
    const generator = own.user + own.system;
    console.log(
      `${'load generator (this process)'.padEnd(28)}${(generator / decisions).toFixed(0).padStart(15)}${(generator / 1e6 / run.seconds).toFixed(2).padStart(8)}`,
    );
    const idle = (machineAfter.idle - machine.idle) / (machineAfter.total - machine.total);
    console.log(`machine idle: ${(idle * os.cpus().length).toFixed(2)} cores of ${os.cpus().length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
