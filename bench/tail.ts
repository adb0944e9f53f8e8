/**
 * Where A's tail comes from (issue #19, item 1): A (POST /v1/decide, the full path) at a fixed
 * open-loop rate, half of C's saturation unless --rate is given, with tail-probe.ts preloaded:
 * per-stage latency of every decision (identity, validate, screen, usage, evaluate, record = the
 * wait for the durable group commit), the HTTP time (request to finish; minus the decision latency
 * that leaves parsing, redaction and the reply), event-loop delay, GC pauses, and the audit writer
 * thread's commits (fsync included). Prints one table per variant and round, and the mean of each
 * stage among the slowest 1% and 0.1% of decisions: what the p99 and p99.9 are made of.
 *
 * Variants are node flags to compare (cheap tail fixes), each its own A, driven in alternation:
 *
 *   npx tsx bench/tail.ts [--rate R | --closed] [--seconds 10] [--rounds 2] [--connections 64]
 *        [--variant=--max-semi-space-size=32]... [--no-build]
 *
 * --closed drives A at saturation instead (the closed loop of the load runs, `--connections` each with one
 * request in flight): where a request's time goes when throughput, not the tail, is the question.
 *
 * The machine it runs on says how much the figures mean: on a shared machine, compare variants of
 * the same run, never runs of different days.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkAgreement } from './lib/agreement';
import { buildBenchPolicy } from './lib/bench-policy';
import { buildDist, builtDist } from './lib/build-dist';
import { benchIssuer, startModelgate, startOpa } from './lib/contenders';
import { fixedRate } from './lib/fixed-rate';
import { describeMachine } from './lib/machine';
import { saturate } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import type { Series, TailReport } from './lib/tail-probe';
import type { Target } from './lib/target';
import { decideBody } from './lib/workload';

const STAGES = ['identity', 'validate', 'screen', 'usage', 'evaluate', 'record'];

function ask(server: ServerProcess, kind: string, reply: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.name} did not answer ${kind}`)), 10_000);
    const onMessage = (message: { kind?: string }) => {
      if (message.kind !== reply) return;
      clearTimeout(timer);
      server.child.off('message', onMessage);
      resolve(message);
    };
    server.child.on('message', onMessage);
    server.child.send({ kind });
  });
}

const ms = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
const row = (name: string, s: Series) =>
  `| ${name} | ${s.count} | ${ms(s.mean)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p999)} | ${ms(s.max)} |`;

function table(
  report: TailReport,
  client: { p50: number; p99: number; p999: number; max: number },
  clientLabel = 'client (open loop, from due time)',
): string {
  const lines = [
    '| series (ms) | count | mean | p50 | p99 | p99.9 | max |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${clientLabel} | | | ${ms(client.p50)} | ${ms(client.p99)} | ${ms(client.p999)} | ${ms(client.max)} |`,
    row('HTTP: request to finish', report.http),
    row('decision: receipt to durable (sum of stages)', report.durable),
    row('decision: receipt to record built', report.decision),
    ...STAGES.filter((s) => report.stages[s]).map((s) =>
      row(`stage ${s === 'record' ? 'record-wait' : s}`, report.stages[s]!),
    ),
    row('writer commit (fsync incl.)', report.commit),
    row('event-loop delay', report.eventLoopDelay),
    ...Object.entries(report.gc.byKind).map(([kind, s]) => row(`GC ${kind}`, s)),
  ];
  const share = (means: Record<string, number>) =>
    STAGES.filter((s) => means[s] !== undefined)
      .map((s) => `${s} ${ms(means[s]!)}`)
      .join(', ');
  lines.push(
    '',
    `GC: ${report.gc.count} pauses, ${ms(report.gc.totalMs)} ms in all; writer: ${report.commit.meanRecords.toFixed(1)} records a commit.`,
    `Slowest 1% of decisions (mean ${ms(report.slowest1.latency ?? 0)} ms): ${share(report.slowest1)}.`,
    `Slowest 0.1% (mean ${ms(report.slowest01.latency ?? 0)} ms): ${share(report.slowest01)}.`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '64' },
      variant: { type: 'string', multiple: true, default: [] },
      'no-build': { type: 'boolean', default: false },
      closed: { type: 'boolean', default: false },
    },
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const connections = Number(values.connections);
  log('compiling src/ and the probes');
  const build = values['no-build'] ? builtDist() : buildDist();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-tail-'));
  const servers: ServerProcess[] = [];
  try {
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    const variants = ['', ...(values.variant ?? [])];
    const targets: { label: string; server: ServerProcess; target: Target }[] = [];
    for (const [i, flags] of variants.entries()) {
      const name = `modelgate-a${i}`;
      const server = await startModelgate({
        main: build.main,
        dir: path.join(dir, name),
        name,
        policy,
        issuer,
        ipc: true,
        nodeArgs: [...flags.split(' ').filter(Boolean), '--require', build.tailProbe!],
      });
      servers.push(server);
      targets.push({
        label: flags || 'default flags',
        server,
        target: {
          name: 'A',
          url: `${server.baseUrl}/v1/decide`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
          body: JSON.stringify(decideBody()),
        },
      });
    }
    let rate = Number(values.rate ?? 0);
    if (!rate && !values.closed) {
      const opa = await startOpa(policy, dir);
      servers.push(opa);
      const json = { 'content-type': 'application/json' };
      const agreement = await checkAgreement(
        targets[0]!.target,
        path.join(dir, 'modelgate-a0', 'modelgate.db'),
        (input) => ({
          b: {
            name: 'B',
            url: `${opa.baseUrl}/v1/data/modelgate/decision`,
            headers: json,
            body: JSON.stringify({ input }),
          },
          c: {
            name: 'C',
            url: `${opa.baseUrl}/v1/data/modelgate/decision`,
            headers: json,
            body: JSON.stringify({ input }),
          },
        }),
      );
      const c: Target = {
        name: 'C',
        url: `${opa.baseUrl}/v1/data/modelgate/decision`,
        headers: json,
        body: JSON.stringify({ input: agreement.input }),
      };
      await saturate(c, connections, 3);
      const saturation = await saturate(c, connections, 8);
      rate = Math.round(saturation.rps / 2);
      log(`C saturates at ${Math.round(saturation.rps)} req/s: offering A half, ${rate} req/s`);
      await opa.stop();
    }
    log(describeMachine(policy.opa));
    for (const t of targets) await saturate(t.target, connections, 3);
    for (let round = 1; round <= Number(values.rounds); round++) {
      // Alternating order, so whatever else runs on the machine falls on every variant.
      const order = round % 2 ? targets : [...targets].reverse();
      for (const t of order) {
        if (values.closed) {
          await ask(t.server, 'tail-reset', 'tail-reset-done');
          const client = await saturate(t.target, connections, Number(values.seconds));
          const report = (await ask(t.server, 'tail-report', 'tail-report')) as TailReport;
          // autocannon reports its p99 only (whole milliseconds, queueing at saturation included).
          const p99Only = { p50: NaN, p99: client.p99, p999: NaN, max: NaN };
          console.log(
            `\n### ${t.label}, round ${round}: closed loop, ${connections} connections, ` +
              `${Math.round(client.rps)} req/s, ${client.failed} failed\n\n` +
              table(report, p99Only, 'client (closed loop, autocannon; p99 only)'),
          );
          continue;
        }
        await fixedRate(t.target, rate, 2, connections);
        await ask(t.server, 'tail-reset', 'tail-reset-done');
        const client = await fixedRate(t.target, rate, Number(values.seconds), connections);
        const report = (await ask(t.server, 'tail-report', 'tail-report')) as TailReport;
        console.log(
          `\n### ${t.label}, round ${round}: ${rate} req/s offered, ${Math.round(client.achievedRps)} achieved, ` +
            `${client.failed} failed\n\n${table(report, client)}`,
        );
      }
    }
  } finally {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
