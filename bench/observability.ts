/**
 * `npm run bench:observability`: the cost of operating modelgate. Two modelgates from the same build,
 * side by side: "off" (no /metrics, no decision-log shipping) and "on" (metrics, with /metrics scraped
 * every second, and every decision shipped to a local OPA-style collector). Paired rounds at
 * saturation alternate the order (off/on, on/off, ...), so drift on a shared machine hits both;
 * it prints throughput and p99 per round and the median ratio.
 *   --rounds N     paired rounds (default 4)
 *   --seconds S    length of one round (default 8)
 *   --connections C  (default 32)
 *   --no-metrics | --no-shipping   leave one of the two off in "on", to see which costs what
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildBenchPolicy, opaBinary } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { describeMachine } from './lib/machine';
import { decideBody } from './lib/workload';

interface Round {
  variant: 'off' | 'on';
  rps: number;
  p99: number;
  failed: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '32' },
      'no-shipping': { type: 'boolean', default: false },
      'no-metrics': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-obs-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

  const collector = await startCollector();
  const build = buildDist();
  const policy = buildBenchPolicy(dir);
  const issuer = benchIssuer();
  const start = (name: string, config: Record<string, unknown>) =>
    startModelgate({ main: build.main, dir: path.join(dir, name), name, policy, issuer, config });
  const off = await start('off', { metrics: { enabled: false }, logging: { decisions: 'off' } });
  const on = await start('on', {
    logging: { decisions: 'off' },
    ...(values['no-metrics'] ? { metrics: { enabled: false } } : {}),
    ...(values['no-shipping'] ? {} : { decision_logs: { service: { url: collector.url } } }),
  });
  const body = JSON.stringify(decideBody());
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` };
  const drive = async (baseUrl: string, duration: number) => {
    const r = await autocannon({
      url: `${baseUrl}/v1/decide`,
      method: 'POST',
      headers,
      body,
      connections,
      duration,
    });
    return { rps: r['2xx'] / r.duration, p99: r.latency.p99, failed: r.non2xx + r.errors + r.timeouts };
  };
  // Prometheus scrapes every 15 s or so; every second is a pessimistic stand-in.
  const scraper = setInterval(() => {
    if (!values['no-metrics']) void fetch(`${on.baseUrl}/metrics`).then((r) => r.text());
  }, 1000);

  try {
    console.log(`machine: ${describeMachine(opaBinary())} (shared: figures are indicative)`);
    await drive(off.baseUrl, 3);
    await drive(on.baseUrl, 3);
    const results: Round[] = [];
    for (let i = 0; i < rounds; i++) {
      const order: Round['variant'][] = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const variant of order) {
        const r = await drive(variant === 'on' ? on.baseUrl : off.baseUrl, seconds);
        results.push({ variant, ...r });
        console.log(
          `round ${i + 1} ${variant.padEnd(3)} ${r.rps.toFixed(0)} decisions/s, p99 ${r.p99} ms, ${r.failed} failed`,
        );
      }
    }
    const ratios = Array.from({ length: rounds }, (_, i) => {
      const pair = results.slice(i * 2, i * 2 + 2);
      const get = (v: Round['variant']) => pair.find((r) => r.variant === v)!;
      return { rps: get('on').rps / get('off').rps, p99: get('on').p99 / get('off').p99 };
    });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const shipped = await fetch(`${on.baseUrl}/metrics`).then((r) => r.text());
    const backlog = /modelgate_decision_log_backlog_records\{sink="service"\} (\d+)/.exec(shipped)?.[1];
    console.log(
      `on/off throughput ratio per pair: ${ratios.map((r) => r.rps.toFixed(3)).join(' ')}; ` +
        `median ${median(ratios.map((r) => r.rps)).toFixed(3)} ` +
        `(cost ${((1 - median(ratios.map((r) => r.rps))) * 100).toFixed(1)}%)`,
    );
    console.log(`on/off p99 ratio per pair: ${ratios.map((r) => r.p99.toFixed(2)).join(' ')}`);
    console.log(`collector received ${collector.batches()} batches; shipping backlog at the end: ${backlog}`);
  } finally {
    clearInterval(scraper);
    await Promise.all([off.stop(), on.stop()]);
    collector.close();
  }
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
