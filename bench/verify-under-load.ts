/**
 * What `GET /v1/audit/verify` costs the decisions answered meanwhile: a real `modelgate serve` (dist/, audit FULL)
 * on a generated log of --records real chained records, loaded by autocannon on the Data API with --connections
 * keep-alive connections, first alone for --seconds, then as long again while an auditor asks for a verify, one
 * request after another. Prints the decisions' rate and latency in both phases and how long each walk took.
 *
 *   npx tsx bench/verify-under-load.ts [--records 200000] [--connections 8] [--seconds 15]
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';
import { generateAuditLog } from './audit-log-gen';
import { buildBenchPolicy } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { describeMachine } from './lib/machine';
import { benchClaims } from './lib/workload';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    connections: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '15' },
  },
});
const seconds = Number(values.seconds);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-verify-load-'));
  const build = buildDist();
  const policy = buildBenchPolicy(dir);
  const serverDir = path.join(dir, 'server');
  mkdirSync(serverDir, { recursive: true });
  const generated = generateAuditLog({
    file: path.join(serverDir, 'modelgate.db'),
    records: Number(values.records),
    subjects: 1000,
    checkpointEvery: 1000,
    keyDir: path.join(dir, 'keys'),
    days: 30,
  });
  console.log(
    `generated ${Number(values.records).toLocaleString('en-US')} records in ${generated.seconds.toFixed(1)} s`,
  );
  const issuer = benchIssuer();
  const server = await startModelgate({ main: build.main, dir: serverDir, name: 'verify', policy, issuer });
  const auditor = jwt.sign(
    { ...benchClaims(1), sub: 'spiffe://corp/security/auditor', scope: 'modelgate:audit' },
    issuer.privateKey,
    { algorithm: 'RS256', keyid: 'bench' },
  );
  const load = () =>
    autocannon({
      url: `${server.baseUrl}/v1/data/modelgate/decision`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
      body: JSON.stringify({
        input: {
          invocation: {
            model: 'anthropic.claude-haiku',
            provider: 'bedrock',
            operation: 'chat',
            purpose: 'support-reply',
          },
        },
      }),
      connections: Number(values.connections),
      duration: seconds,
    });
  const alone = await load();
  let verifying = true;
  const walks: number[] = [];
  const verifier = (async () => {
    while (verifying) {
      const started = performance.now();
      const res = await fetch(`${server.baseUrl}/v1/audit/verify`, {
        headers: { authorization: `Bearer ${auditor}` },
      });
      const body = (await res.json()) as { ok?: boolean };
      if (res.status !== 200 || body.ok !== true)
        throw new Error(`verify answered ${res.status} ${JSON.stringify(body)}`);
      walks.push(performance.now() - started);
    }
  })();
  const during = await load();
  verifying = false;
  await verifier;
  await server.stop();
  console.log(describeMachine(policy.opa));
  const row = (name: string, r: Awaited<ReturnType<typeof autocannon>>) => ({
    decisions: name,
    'req/s': Math.round(r['2xx'] / r.duration),
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    'max ms': r.latency.max,
    failed: r.non2xx + r.errors + r.timeouts,
  });
  console.table([row('alone', alone), row('during verify walks', during)]);
  const sorted = [...walks].sort((a, b) => a - b);
  console.log(
    `${walks.length} verify walks of ${Number(values.records).toLocaleString('en-US')} records, ` +
      `median ${((sorted[Math.floor(sorted.length / 2)] ?? 0) / 1000).toFixed(1)} s`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
