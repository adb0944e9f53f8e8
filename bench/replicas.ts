/**
 * `npm run bench:replicas`: throughput of two modelgate replicas on one PostgreSQL against one, with
 * nginx in front. Starts a throw-away PostgreSQL cluster (test/helpers/postgres-cluster.ts), two
 * replicas on one `database.url`, and nginx (bench/lib/nginx-proxy.ts), then saturates, in alternating
 * rounds: (1) one replica directly, (2) one replica behind nginx (the proxy's own cost), (3) two
 * replicas behind nginx. Prints a Markdown table (median req/s, median closed-loop p99, CPU per
 * request of the replicas, nginx and PostgreSQL read from /proc) and removes everything it started.
 *   --seconds N       length of a timed round (default 8)
 *   --rounds N        rounds per configuration (default 3)
 *   --warmup N        warm-up per configuration, seconds (default 3)
 *   --connections N   autocannon connections (default 64)
 *   --subjects N      distinct token subjects, taken in turn by the requests (default 16): one subject's
 *                     decisions serialise on its usage lock across replicas, which would hide scaling
 *   --main FILE       run this compiled CLI instead of building dist/
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { buildBenchBundle, buildBenchPolicy } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { cpuSnapshot, type CpuSnapshot } from './lib/cpu-meter';
import { describeMachine } from './lib/machine';
import { fmt, markdownTable } from './lib/markdown';
import { startNginxProxy, type NginxProxy } from './lib/nginx-proxy';
import { postmasterOnPort, processTree } from './lib/process-tree';
import { saturate } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import type { Target } from './lib/target';
import { BENCH_ENTITLEMENT, BENCH_SUBJECT, benchClaims, decideBody } from './lib/workload';
import { median } from './lib/stats';
import { startPgCluster, type PgCluster } from '../test/helpers/postgres-cluster';

const TICKS_PER_SECOND = 100;

interface Configuration {
  name: string;
  target: Target;
  replicas: ServerProcess[];
  viaNginx: boolean;
}

/** One timed round of one configuration. */
interface Round {
  rps: number;
  p99: number;
  ok: number;
  seconds: number;
  /** Cores used per replica of the configuration, in its order. */
  replicaCores: number[];
  nginxCores: number;
  pgCores: number;
  loadGeneratorCores: number;
  /** Busy cores of the machine minus all of the above: other people's jobs. */
  otherCores: number;
  steal: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      subjects: { type: 'string', default: '16' },
      main: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  const subjectCount = Number(values.subjects);
  const started = Date.now();
  const log = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const command = [
    'npm run bench:replicas',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ];

  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-replicas-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const servers: ServerProcess[] = [];
  let pg: PgCluster | undefined;
  let nginx: NginxProxy | undefined;
  try {
    let main = values.main ? path.resolve(values.main) : undefined;
    if (!main) {
      log('compiling src/ into dist/ (as npm run build does)');
      main = buildDist().main;
    }
    log(`building the bench policy with ${subjectCount} subjects in ${dir}`);
    const policy = buildBenchPolicy(dir);
    const subjects = Array.from({ length: subjectCount }, (_, i) => `${BENCH_SUBJECT}-${i + 1}`);
    addSubjects(path.join(policy.regoDir, 'entitlements', 'data.json'), subjects);
    buildBenchBundle(policy.opa, policy.regoDir, 'bench', policy.bundle);
    const issuer = benchIssuer();
    const tokens = subjects.map((sub) =>
      jwt.sign({ ...benchClaims(24), sub }, issuer.privateKey, { algorithm: 'RS256', keyid: 'bench' }),
    );

    log('starting a throw-away PostgreSQL cluster');
    pg = await startPgCluster();
    const databaseUrl = await pg.createDatabase();
    const postmaster = postmasterOnPort(pg.port);
    if (postmaster === undefined) log('PostgreSQL postmaster not found in /proc: its CPU is not measured');
    for (const name of ['replica-1', 'replica-2']) {
      const server = await startModelgate({
        main,
        dir: path.join(dir, name),
        name,
        policy,
        issuer,
        config: { database: { url: databaseUrl } },
      });
      servers.push(server);
    }
    const [r1, r2] = servers as [ServerProcess, ServerProcess];
    nginx = await startNginxProxy([[r1.baseUrl], [r1.baseUrl, r2.baseUrl]]);
    log(`replicas on ${r1.baseUrl} and ${r2.baseUrl}; nginx on ${nginx.urls.join(' and ')}`);

    const headers = { 'content-type': 'application/json' };
    const body = JSON.stringify(decideBody());
    const target = (name: string, base: string): Target => ({
      name,
      url: `${base}/v1/decide`,
      headers,
      body,
    });
    const configurations: Configuration[] = [
      { name: '1 replica, direct', target: target('direct', r1.baseUrl), replicas: [r1], viaNginx: false },
      {
        name: '1 replica behind nginx',
        target: target('nginx-1', nginx.urls[0]!),
        replicas: [r1],
        viaNginx: true,
      },
      {
        name: '2 replicas behind nginx',
        target: target('nginx-2', nginx.urls[1]!),
        replicas: [r1, r2],
        viaNginx: true,
      },
    ];
    const headerSets = tokens.map((token) => ({ authorization: `Bearer ${token}` }));
    for (const c of configurations) await expectAllow(c.target, headerSets[0]!);

    for (const c of configurations) {
      const warm = await saturate(c.target, connections, warmup, headerSets);
      log(`warm-up ${c.name}: ${fmt(warm.rps)} req/s`);
      if (warm.failed > 0) throw new Error(`${c.name} failed ${warm.failed} requests during the warm-up`);
    }

    const results = new Map<string, Round[]>(configurations.map((c) => [c.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const c of rotate(configurations, round)) {
        const groups = () => ({
          nginx: processTree(nginx!.pid),
          pg: postmaster === undefined ? [] : processTree(postmaster),
        });
        const before = groups();
        const known = [process.pid, ...servers.map((s) => s.pid), ...before.nginx, ...before.pg];
        const a = cpuSnapshot(known);
        const run = await saturate(c.target, connections, seconds, headerSets);
        const after = groups();
        const b = cpuSnapshot([...new Set([...known, ...after.nginx, ...after.pg])]);
        if (run.failed > 0) throw new Error(`${c.name} failed ${run.failed} requests at saturation`);
        const wall = (b.atMs - a.atMs) / 1000;
        const cores = (pids: number[]) => ticksBetween(a, b, pids) / TICKS_PER_SECOND / wall;
        const nginxPids = [...new Set([...before.nginx, ...after.nginx])];
        const pgPids = [...new Set([...before.pg, ...after.pg])];
        const replicaCores = c.replicas.map((r) => cores([r.pid]));
        const idle = servers.filter((s) => !c.replicas.includes(s)).map((s) => s.pid);
        const ours = cores([process.pid, ...servers.map((s) => s.pid), ...nginxPids, ...pgPids]);
        const machine = (b.machineBusy - a.machineBusy) / TICKS_PER_SECOND / wall;
        const r: Round = {
          rps: run.rps,
          p99: run.p99,
          ok: run.ok,
          seconds: run.seconds,
          replicaCores,
          nginxCores: cores(nginxPids),
          pgCores: cores(pgPids),
          loadGeneratorCores: cores([process.pid]),
          otherCores: Math.max(0, machine - ours),
          steal: (b.steal - a.steal) / TICKS_PER_SECOND / wall,
        };
        results.get(c.name)!.push(r);
        log(
          `round ${round + 1} ${c.name}: ${fmt(r.rps)} req/s, p99 ${fmt(r.p99, 1)} ms, replicas ` +
            `${replicaCores.map((x) => fmt(x)).join(' + ')} cores (idle replica ${fmt(cores(idle))}), nginx ` +
            `${fmt(r.nginxCores)}, PostgreSQL ${fmt(r.pgCores)}, load generator ${fmt(r.loadGeneratorCores)}, ` +
            `other ${fmt(r.otherCores)}, steal ${fmt(r.steal)}`,
        );
      }
    }

    const outcomes = await recordedOutcomes(databaseUrl);
    log(`audit log in PostgreSQL: ${JSON.stringify(outcomes)}`);
    if (Object.keys(outcomes).some((o) => o !== 'allowed'))
      throw new Error('non-allowed decisions were recorded');

    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    console.log(
      `\n${stamp} UTC — \`${command.join(' ')}\`\n\nMachine: ${describeMachine(policy.opa)}\n\n` +
        report(configurations, results, { seconds, rounds, warmup, connections, subjectCount }),
    );
  } finally {
    await nginx?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    pg?.destroy();
    removeDir();
  }
}

/** Adds `subjects` to the bench data, each with the benchmark identity's entitlement. */
function addSubjects(dataFile: string, subjects: string[]): void {
  const data = JSON.parse(readFileSync(dataFile, 'utf8')) as { subjects: Record<string, unknown> };
  for (const subject of subjects) data.subjects[subject] = BENCH_ENTITLEMENT;
  writeFileSync(dataFile, `${JSON.stringify(data, null, 2)}\n`);
}

/** Throws unless the target allows the benchmark call: every configuration must do the same work. */
async function expectAllow(target: Target, auth: Record<string, string>): Promise<void> {
  const res = await fetch(target.url, {
    method: 'POST',
    headers: { ...target.headers, ...auth },
    body: target.body,
  });
  const reply = (await res.json()) as { allow?: boolean };
  if (res.status !== 200 || reply.allow !== true)
    throw new Error(
      `${target.name} did not allow the benchmark call: ${res.status} ${JSON.stringify(reply)}`,
    );
}

async function recordedOutcomes(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ outcome: string; n: number }>(
      'SELECT outcome, count(*)::int AS n FROM audit_records GROUP BY outcome',
    );
    return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
  } finally {
    await client.end();
  }
}

// A process born during the round (a PostgreSQL backend) counts from 0; one that died counts nothing.
function ticksBetween(a: CpuSnapshot, b: CpuSnapshot, pids: number[]): number {
  let ticks = 0;
  for (const pid of new Set(pids)) {
    const end = b.processes.get(pid) ?? 0;
    if (end > 0) ticks += Math.max(0, end - (a.processes.get(pid) ?? 0));
  }
  return ticks;
}

function report(
  configurations: Configuration[],
  results: Map<string, Round[]>,
  o: { seconds: number; rounds: number; warmup: number; connections: number; subjectCount: number },
): string {
  const direct = median(results.get(configurations[0]!.name)!.map((r) => r.rps));
  const rows = configurations.map((c) => {
    const runs = results.get(c.name)!;
    const rps = median(runs.map((r) => r.rps));
    const perRequest = (coresOf: (r: Round) => number) =>
      fmt(median(runs.map((r) => (coresOf(r) * r.seconds * 1e6) / r.ok)), 0);
    return [
      c.name,
      `${fmt(rps)} (${runs.map((r) => fmt(r.rps, 0)).join(', ')})`,
      `${(rps / direct).toFixed(2)}×`,
      fmt(median(runs.map((r) => r.p99)), 0),
      c.replicas.map((_, i) => perRequest((r) => r.replicaCores[i]!)).join(' + '),
      c.replicas.map((_, i) => fmt(median(runs.map((r) => r.replicaCores[i]!)))).join(' + '),
      c.viaNginx ? `${perRequest((r) => r.nginxCores)} (${fmt(median(runs.map((r) => r.nginxCores)))})` : '—',
      `${perRequest((r) => r.pgCores)} (${fmt(median(runs.map((r) => r.pgCores)))})`,
      fmt(median(runs.map((r) => r.loadGeneratorCores))),
      fmt(median(runs.map((r) => r.otherCores + r.steal))),
    ];
  });
  return [
    markdownTable(
      [
        'configuration',
        'req/s (rounds)',
        '÷ direct',
        'p99 ms',
        'modelgate CPU µs/req, per replica',
        'replica cores',
        'nginx µs/req (cores)',
        'PostgreSQL µs/req (cores)',
        'load generator cores',
        'other jobs + steal, cores',
      ],
      rows,
    ),
    '',
    `autocannon, ${o.connections} connections, ${o.subjectCount} subjects taken in turn by the requests, ` +
      `${o.rounds} rounds of ${o.seconds} s per configuration after a ${o.warmup} s warm-up, configurations ` +
      'alternating; medians, each round’s req/s in brackets. p99: closed loop at saturation (queueing included). ' +
      'CPU: user + system time from /proc over the round, divided by the requests answered (a replica’s µs/req ' +
      'counts all requests, so two replicas’ figures add up to the cost of one request); PostgreSQL is the ' +
      'postmaster and all its children, nginx its master and worker.',
  ].join('\n');
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
