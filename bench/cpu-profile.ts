/**
 * `npm run bench:cpu-profile -- [--path decide|data] [--seconds 20] [--rate R]`: starts one modelgate (the
 * same set-up as contender A or B) under `node --cpu-prof`, saturates it with autocannon (or, with --rate,
 * offers it R requests a second, open loop), stops it, and prints where the main thread's time went (see
 * profile.ts). The profile file is kept for DevTools.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordInputOf } from './lib/agreement';
import { buildBenchPolicy } from './lib/bench-policy';
import { buildDist, builtDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { drive } from './lib/drive';
import type { Target } from './lib/target';
import { decideBody } from './lib/workload';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      path: { type: 'string', default: 'decide' },
      seconds: { type: 'string', default: '20' },
      connections: { type: 'string', default: '64' },
      rate: { type: 'string' },
      sync: { type: 'string', default: 'FULL' },
      out: { type: 'string', default: path.join(os.tmpdir(), 'modelgate-profiles') },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-prof-'));
  mkdirSync(values.out, { recursive: true });
  const name = `modelgate-${values.path}-${Date.now()}`;
  try {
    const build = values['no-build'] ? builtDist() : buildDist();
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    const server = await startModelgate({
      main: build.main,
      dir: path.join(dir, 'mg'),
      name,
      policy,
      issuer,
      synchronous: values.sync === 'NORMAL' ? 'NORMAL' : 'FULL',
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.out}`, `--cpu-prof-name=${name}.cpuprofile`],
    });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` };
    const decide: Target = {
      name: 'A',
      url: `${server.baseUrl}/v1/decide`,
      headers,
      body: JSON.stringify(decideBody()),
    };
    let target = decide;
    if (values.path === 'data') {
      const input = await recordInputOf(decide, path.join(dir, 'mg', 'modelgate.db'));
      target = {
        name: 'B',
        url: `${server.baseUrl}/v1/data/modelgate/decision`,
        headers,
        body: JSON.stringify({ input }),
      };
    }
    const seconds = Number(values.seconds);
    const run = await drive(target, {
      rate: values.rate === undefined ? undefined : Number(values.rate),
      connections: Number(values.connections),
      seconds,
    });
    console.log(`${target.name}: ${run.rps.toFixed(0)} req/s over ${run.seconds} s, ${run.failed} failed`);
    await server.stop();
    const file = readdirSync(values.out).find((f) => f.startsWith(name));
    if (!file) throw new Error('no profile was written');
    execFileSync(
      process.execPath,
      [...process.execArgv, path.join(__dirname, 'profile.ts'), path.join(values.out, file)],
      {
        stdio: 'inherit',
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
