/**
 * Cost curves of A (issue #19, item 3): how throughput and tail move with the payload size and the
 * number of keep-alive connections.
 *
 * - payload: POST /v1/decide with 1, 8, 32, 128 and 256 KiB of message text, "ordinary" (the
 *   benchmark's support chat repeated) and "adversarial" (near misses for the screening rules:
 *   AWS-key prefixes one character short, card-like digit runs that fail Luhn, high-entropy base64
 *   blobs, e-mail-like tokens without a domain); req/s at saturation (64 connections) and p99 at
 *   half of A's own saturation for that payload, open loop;
 * - connections: 64, 1,024 and 4,096 keep-alive connections, one request in flight each, against A
 *   and C (OPA's server) in alternation: req/s and autocannon's p99.
 *
 *   npx tsx bench/curves.ts [--sizes 1,8,32,128,256] [--connections 64,1024,4096] [--seconds 5]
 *        [--only payload|connections]
 *
 * A runs with limits raised for the 256 KiB payload (payload_chars 1,048,576, body_bytes 4 MiB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkAgreement } from './lib/agreement';
import { buildBenchPolicy } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate, startOpa } from './lib/contenders';
import { fixedRate } from './lib/fixed-rate';
import { describeMachine } from './lib/machine';
import { saturate } from './lib/saturate';
import type { ServerProcess } from './lib/server-process';
import type { Target } from './lib/target';
import { benchPayload, decideBody, UNIQUE_MARKER } from './lib/workload';

const KIB = 1024;

/**
 * Returns message text of `bytes` characters: the support chat repeated, or screening near misses. It starts with
 * UNIQUE_MARKER, which the load generators replace in every request: screening remembers texts it has seen, and a
 * payload sent unchanged would measure that cache, not screening.
 */
function text(bytes: number, adversarial: boolean): string {
  const unit = adversarial
    ? 'AKIAIOSFODNN7EXAMPL 4111 1111 1111 1112 ' +
      'Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MGFiY2RlZg== jane.doe@ +1 415 555 01 ' +
      'sk-proj-abc ghp_1234 xoxb-12 '
    : benchPayload()
        .messages.map((m) => m.content)
        .join(' ');
  return `${UNIQUE_MARKER} ${unit.repeat(Math.ceil(bytes / unit.length))}`.slice(0, bytes);
}

function decideTarget(server: ServerProcess, token: string, bytes: number, adversarial: boolean): Target {
  const body = decideBody();
  body.payload = { messages: [{ role: 'user', content: text(bytes, adversarial) }] };
  return {
    name: 'A',
    url: `${server.baseUrl}/v1/decide`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1,8,32,128,256' },
      connections: { type: 'string', default: '64,1024,4096' },
      seconds: { type: 'string', default: '5' },
      only: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log('compiling src/');
  const build = buildDist();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-curves-'));
  const servers: ServerProcess[] = [];
  try {
    const policy = buildBenchPolicy(dir);
    const issuer = benchIssuer();
    const token = issuer.token();
    const a = await startModelgate({
      main: build.main,
      dir: path.join(dir, 'a'),
      name: 'modelgate-a',
      policy,
      issuer,
      config: { limits: { payload_chars: 1_048_576, body_bytes: 4 * 1_048_576 } },
    });
    servers.push(a);
    console.log(`Machine: ${describeMachine(policy.opa)}\n`);

    if (values.only !== 'connections') {
      console.log('| payload | kind | A req/s (64 conns) | A p99 ms at half of that, open loop | outcome |');
      console.log('| --- | --- | --- | --- | --- |');
      for (const kib of values.sizes.split(',').map(Number)) {
        for (const adversarial of [false, true]) {
          const target = decideTarget(a, token, kib * KIB, adversarial);
          const probe = await fetch(target.url, {
            method: 'POST',
            headers: target.headers,
            body: target.body,
          });
          const reply = (await probe.json()) as { allow?: boolean; reasons?: { code: string }[] };
          await saturate(target, 64, 2);
          const sat = await saturate(target, 64, seconds);
          const fixed = await fixedRate(target, Math.max(1, Math.round(sat.rps / 2)), seconds, 64);
          const outcome = `${probe.status} ${reply.allow ? 'allow' : `deny ${reply.reasons?.map((r) => r.code).join(',')}`}`;
          console.log(
            `| ${kib} KiB | ${adversarial ? 'adversarial' : 'ordinary'} | ${Math.round(sat.rps)} | ${fixed.p99.toFixed(1)} | ${outcome} |`,
          );
        }
      }
    }

    if (values.only !== 'payload') {
      const opa = await startOpa(policy, dir);
      servers.push(opa);
      const json = { 'content-type': 'application/json' };
      const aTarget = decideTarget(a, token, 0, false);
      aTarget.body = JSON.stringify(decideBody());
      const agreement = await checkAgreement(aTarget, path.join(dir, 'a', 'modelgate.db'), (input) => {
        const c = {
          name: 'C',
          url: `${opa.baseUrl}/v1/data/modelgate/decision`,
          headers: json,
          body: JSON.stringify({ input }),
        };
        return { b: c, c };
      });
      const cTarget: Target = {
        name: 'C',
        url: `${opa.baseUrl}/v1/data/modelgate/decision`,
        headers: json,
        body: JSON.stringify({ input: agreement.input }),
      };
      console.log('\n| connections | A req/s | A p99 ms | C req/s | C p99 ms | A ÷ C | failed (A, C) |');
      console.log('| --- | --- | --- | --- | --- | --- | --- |');
      for (const connections of values.connections.split(',').map(Number)) {
        const ra = await saturate(aTarget, connections, seconds);
        const rc = await saturate(cTarget, connections, seconds);
        console.log(
          `| ${connections} | ${Math.round(ra.rps)} | ${ra.p99} | ${Math.round(rc.rps)} | ${rc.p99} | ` +
            `${(ra.rps / rc.rps).toFixed(2)} | ${ra.failed}, ${rc.failed} |`,
        );
      }
    }
  } finally {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
