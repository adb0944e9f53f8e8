/**
 * `npm run bench:soak -- [--decisions 1000000]`: a million decisions through contender A (full
 * /v1/decide path, audit FULL) at saturation, sampling the server's RSS, live heap and WASM memory;
 * reports their growth, verifies the audit chain, and writes the result into bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { recordedOutcomes } from './lib/agreement';
import { buildBenchPolicy, opaBinary, ROOT } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { describeMachine } from './lib/machine';
import { fmt, markdownTable, mib, replaceSection } from './lib/markdown';
import type { MemorySample } from './lib/memory-probe';
import { procMemory } from './lib/proc-memory';
import { uniqueBody } from './lib/unique-body';
import { decideBody } from './lib/workload';

interface Point {
  decisions: number;
  seconds: number;
  rss: number;
  heapUsed: number;
  wasm: number;
  external: number;
  writerHeap: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      decisions: { type: 'string', default: '1000000' },
      connections: { type: 'string', default: '64' },
      // usage.reservation_ttl_seconds: how long an unreported reservation is held (default 86400).
      'reservation-ttl': { type: 'string' },
      section: { type: 'string', default: 'soak' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const total = Number(values.decisions);
  const started = performance.now();
  const log = (line: string) =>
    console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-soak-'));
  try {
    log('compiling src/ and the memory probe');
    const build = buildDist();
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    const server = await startModelgate({
      main: build.main,
      dir: path.join(dir, 'a'),
      name: 'modelgate-a',
      policy,
      issuer,
      nodeArgs: ['--expose-gc', '--require', build.memoryProbe],
      ipc: true,
      config: values['reservation-ttl']
        ? { usage: { reservation_ttl_seconds: Number(values['reservation-ttl']) } }
        : undefined,
    });
    const db = path.join(dir, 'a', 'modelgate.db');
    let decisions = 0;
    let failed = 0;
    const points: Point[] = [];
    const runStart = performance.now();
    server.child.on('message', (message: MemorySample) => {
      if (message.kind !== 'memory') return;
      points.push({
        decisions,
        seconds: (performance.now() - runStart) / 1000,
        rss: procMemory(server.pid)?.rss ?? message.rss,
        heapUsed: message.heapUsed,
        wasm: message.wasm,
        external: message.external,
        writerHeap: message.writerHeap ?? NaN,
      });
    });
    const progress = setInterval(() => {
      const last = points.at(-1);
      if (last) {
        log(
          `${decisions.toLocaleString('en-US')} decisions, ${fmt(decisions / last.seconds)} req/s, RSS ${mib(last.rss)}, ` +
            `live heap ${mib(last.heapUsed)}, WASM ${mib(last.wasm)}`,
        );
      }
    }, 30_000);
    const body = JSON.stringify(decideBody());
    // Each request's newest turn is new, as in the load runs (see workload.ts): the screening cache churns.
    const unique = uniqueBody(body);
    const instance = autocannon({
      url: `${server.baseUrl}/v1/decide`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token(48)}` },
      body,
      connections: Number(values.connections),
      amount: total,
      timeout: 30,
      ...(unique ? { requests: [{ setupRequest: (request) => ({ ...request, body: unique(body) }) }] } : {}),
    });
    instance.on('response', (_client, status) => {
      if (status === 200) decisions += 1;
      else failed += 1;
    });
    const result = await instance;
    clearInterval(progress);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // one more sample at rest
    const seconds = (performance.now() - runStart) / 1000;
    const peakRss = server.peakRss();
    await server.stop();
    log(
      `done: ${decisions} ok, ${failed} failed, ${result.errors} errors in ${fmt(seconds)} s; peak RSS ${mib(peakRss)}`,
    );

    const outcomes = recordedOutcomes(db);
    const verifyStart = performance.now();
    const verify = execFileSync(process.execPath, [build.main, 'audit', 'verify', '--db', db, '--json'], {
      encoding: 'utf8',
    });
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    const dbBytes = statSync(db).size;
    log(
      `audit log: ${JSON.stringify(outcomes)}, ${mib(dbBytes)}; verify ${fmt(verifySeconds)} s: ${verified(verify)}`,
    );

    const markdown = soakMarkdown({
      points,
      total,
      decisions,
      failed,
      seconds,
      peakRss,
      dbBytes,
      verify,
      verifySeconds,
    });
    const section =
      `### Soak: ${total.toLocaleString('en-US')} decisions through A` +
      (values['reservation-ttl'] ? `, reservations held ${values['reservation-ttl']} s` : '') +
      '\n\n' +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — \`npm run bench:soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`\n\n` +
      `Machine: ${describeMachine(opaBinary())}\n\n${markdown}`;
    console.log(`\n${section}\n`);
    if (!values['no-write'])
      await replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), values.section, section);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function soakMarkdown(run: {
  points: Point[];
  total: number;
  decisions: number;
  failed: number;
  seconds: number;
  peakRss: number;
  dbBytes: number;
  verify: string;
  verifySeconds: number;
}): string {
  const { points } = run;
  // The first tenth is warm-up (JIT, caches, SQLite page cache); growth is judged after it.
  const steady = points.filter((p) => p.decisions >= run.total * 0.1);
  const first = steady[0];
  const last = points.at(-1);
  if (!first || !last) return 'not enough samples';
  const rows = [0.1, 0.25, 0.5, 0.75, 1].map((q) => {
    const p = points.find((x) => x.decisions >= run.total * q) ?? last;
    return [
      p.decisions.toLocaleString('en-US'),
      fmt(p.seconds, 0),
      mib(p.rss),
      mib(p.heapUsed),
      mib(p.wasm),
      mib(p.external),
      mib(p.writerHeap),
    ];
  });
  const perHundredK = (key: keyof Point) => (slope(steady, key) * 100_000) / 2 ** 20;
  return [
    markdownTable(
      [
        'decisions',
        's',
        'RSS',
        'live heap (after GC)',
        'WASM memory',
        'external',
        'writer thread heap (min)',
      ],
      rows,
    ),
    '',
    `${run.decisions.toLocaleString('en-US')} decisions allowed and recorded, ${run.failed} failed, in ` +
      `${fmt(run.seconds / 60, 1)} min (${fmt(run.decisions / run.seconds)} req/s); peak RSS ${mib(run.peakRss)}.`,
    `Growth from 10% to the end (least-squares slope per 100 000 decisions): RSS ${fmt(perHundredK('rss'))} MiB, ` +
      `live heap ${fmt(perHundredK('heapUsed'))} MiB, WASM ${fmt(perHundredK('wasm'))} MiB, ` +
      `writer thread heap ${fmt(perHundredK('writerHeap'))} MiB.`,
    `Audit database ${mib(run.dbBytes)}; \`modelgate audit verify\` took ${fmt(run.verifySeconds, 1)} s: ${verified(run.verify)}.`,
  ].join('\n');
}

function verified(json: string): string {
  const result = JSON.parse(json) as { ok: boolean; records: number };
  return `${result.ok ? 'ok' : '**FAILED**'}, ${result.records.toLocaleString('en-US')} records`;
}

function slope(points: Point[], key: keyof Point): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.decisions, 0) / n;
  const my = points.reduce((s, p) => s + p[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.decisions - mx) * (p[key] - my);
    den += (p.decisions - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
