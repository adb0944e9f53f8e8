/**
 * How large the audit WAL grows under a steady load: contender A at a fixed open-loop rate, the WAL's frames
 * (and how many a checkpoint had copied) read each second from its wal-index (lib/wal-index.ts). SQLite starts
 * the WAL over at the first commit after a checkpoint copied all of it; the checkpoint thread copies while
 * commits go on.
 *
 *   npx tsx bench/wal-size.ts [--rate 1850] [--seconds 30] [--main dist/cli/main.js]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBenchPolicy, ROOT } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { benchIssuer, startModelgate } from './lib/contenders';
import { fixedRate } from './lib/fixed-rate';
import { saturate } from './lib/saturate';
import { readHead, walProgress } from './lib/wal-index';
import { decideBody } from './lib/workload';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '1850' },
      seconds: { type: 'string', default: '30' },
      main: { type: 'string' },
    },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-wal-size-'));
  try {
    const issuer = benchIssuer();
    const server = await startModelgate({
      main: path.resolve(ROOT, values.main ?? buildDist().main),
      dir: path.join(dir, 'mg'),
      name: 'A',
      policy: buildBenchPolicy(dir),
      issuer,
    });
    const target = {
      name: 'A',
      url: `${server.baseUrl}/v1/decide`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token()}` },
      body: JSON.stringify(decideBody()),
    };
    await saturate(target, 64, 3); // warm-up
    const db = path.join(dir, 'mg', 'modelgate.db');
    const page = readHead(`${db}-wal`, 12).readUInt32BE(8); // the WAL header's page size
    const seen: string[] = [];
    let most = 0;
    const timer = setInterval(() => {
      const { frames, copied } = walProgress(db);
      most = Math.max(most, frames);
      seen.push(`${frames}/${copied}`);
    }, 1000);
    const run = await fixedRate(target, Number(values.rate), Number(values.seconds));
    clearInterval(timer);
    const fileBytes = statSync(`${db}-wal`).size;
    await server.stop();
    console.log(
      `A at ${run.achievedRps.toFixed(0)} req/s for ${values.seconds} s (p99 ${run.p99.toFixed(1)} ms)`,
    );
    console.log(`WAL frames / frames copied, each second: ${seen.join(' ')}`);
    console.log(
      `largest WAL seen (sampled each second): ${most} frames of ${page} bytes, ${((most * (page + 24)) / 1e6).toFixed(1)} MB; ` +
        `the file at the end: ${(fileBytes / 1e6).toFixed(1)} MB (it keeps its largest size)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
