/**
 * Zero-downtime policy swap under load (issue #14): a real `modelgate serve` (dist/, audit FULL) saturated by
 * autocannon on the OPA-compatible Data API while its bundle file is replaced atomically and SIGHUP'd
 * `--activations` times, alternating two revisions built by the real `opa build`. Prints the request rate, the
 * failed requests (non-2xx, errors, timeouts: must be 0) and how many audit records each revision evaluated
 * (every record must name one of the two revisions).
 *
 *   npx tsx bench/swap-under-load.ts [--activations 20] [--interval-ms 400] [--connections 64] [--subjects N]
 *
 * --subjects gives the policy entitlements for N subjects (the benchmark identity and N - 1 generated ones):
 * an activation loads the data into the policy's WASM memory on the event loop, so the requests' maximum latency
 * shows how long each swap held them. Give large data a longer --interval-ms than one activation takes.
 */
import { copyFileSync, mkdtempSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { buildBenchBundle, buildBenchPolicy } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { describeMachine } from './lib/machine';

const { values } = parseArgs({
  options: {
    activations: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '400' },
    connections: { type: 'string', default: '64' },
    subjects: { type: 'string' },
  },
});
const activations = Number(values.activations);
const intervalMs = Number(values['interval-ms']);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-swap-'));
  const build = buildDist();
  const policy = buildBenchPolicy(dir, { subjects: values.subjects ? Number(values.subjects) : undefined });
  // A second revision of the same policy: only the manifest's revision differs.
  const second = path.join(dir, 'bench-2.tar.gz');
  buildBenchBundle(policy.opa, policy.regoDir, 'bench-2', second);
  const live = path.join(dir, 'live.tar.gz');
  copyFileSync(policy.bundle, live);
  const issuer = benchIssuer();
  const server = await startModelgate({
    main: build.main,
    dir: path.join(dir, 'server'),
    name: 'swap',
    policy: { ...policy, bundle: live },
    issuer,
  });
  const body = JSON.stringify({
    input: {
      invocation: {
        model: 'anthropic.claude-haiku',
        provider: 'bedrock',
        operation: 'chat',
        purpose: 'support-reply',
      },
      payload: { present: true, chars: 2048, findings: { email: 1 } },
    },
  });
  const swaps = (async () => {
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < activations; i++) {
      // Written beside, then renamed: the reader never sees a half-written file.
      copyFileSync(i % 2 === 0 ? second : policy.bundle, `${live}.tmp`);
      renameSync(`${live}.tmp`, live);
      process.kill(server.pid, 'SIGHUP');
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  const duration = Math.ceil((1000 + activations * intervalMs) / 1000) + 2;
  const result = await autocannon({
    url: `${server.baseUrl}/v1/data/modelgate/decision`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
    body,
    connections: Number(values.connections),
    duration,
  });
  await swaps;
  await server.stop();
  const db = new Database(path.join(dir, 'server', 'modelgate.db'), { readonly: true });
  const byRevision = db
    .prepare(
      "SELECT json_extract(record, '$.bundle.revision') AS revision, count(*) AS n FROM audit_records GROUP BY 1",
    )
    .all() as { revision: string | null; n: number }[];
  db.close();
  console.log(describeMachine(policy.opa));
  console.log(
    `${result['2xx']} decisions in ${result.duration} s (${Math.round(result['2xx'] / result.duration)} req/s), ` +
      `${activations} activations, failed: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
  );
  console.log(
    `latency ms: p50 ${result.latency.p50}, p99 ${result.latency.p99}, max ${result.latency.max}` +
      (values.subjects
        ? ` (entitlements for ${Number(values.subjects).toLocaleString('en-US')} subjects)`
        : ''),
  );
  console.log(`audit records by revision: ${JSON.stringify(byRevision)}`);
  const failed = result.non2xx + result.errors + result.timeouts;
  const foreign = byRevision.filter((r) => r.revision !== 'bench' && r.revision !== 'bench-2');
  if (failed > 0 || foreign.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
