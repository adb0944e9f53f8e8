/**
 * How the audit log's costs grow with its size (issue #19, item 3): for logs of N records written
 * by bench/audit-log-gen.ts (real chain, a checkpoint signed every 1000 records), the time of
 * `verify --full` and of the default incremental verify, the cost of an append (SqliteAuditStore,
 * synchronous FULL, 64 appends in flight as under load), and the first page of a query by subject
 * and by a one-hour time range. Wall time and this process's CPU time are both given: on a shared
 * machine the CPU time is the steadier figure.
 *
 *   npx tsx bench/audit-size.bench.ts [--sizes 0,1000000,10000000] [--dir DIR] [--keep] [--full-up-to N]
 *
 * Logs are generated into DIR (default a temporary folder) as log-N.db and reused when present:
 * --dir with --keep lets a second run skip generation. Appends are measured last, on a copy-free
 * log: they add 2,000 records after the last checkpoint, so rerun the verify rows on a fresh log.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SqliteAuditStore } from '../src/audit';
import { generateAuditLog } from './audit-log-gen';
import { benchRecord, lcg } from './privileges.bench';
import { createDecisionIdGenerator } from '../src/audit/decision-id';

const APPENDS = 2000;
const IN_FLIGHT = 64;
const logger = pino({ level: 'silent' });

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T } & Timing> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await work();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function fmt(t: Timing): string {
  const unit = (ms: number) =>
    ms >= 10_000
      ? `${(ms / 1000).toFixed(0)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(1)} s`
        : `${ms.toFixed(1)} ms`;
  return `${unit(t.wallMs)} (CPU ${unit(t.cpuMs)})`;
}

async function verifyRow(file: string, publicKey: string, incremental: boolean): Promise<string> {
  const store = SqliteAuditStore.open({ path: file, logger, readonly: true });
  try {
    const result = await timed(() => store.verify({ publicKeys: [publicKey], incremental }));
    if (!result.value.ok) throw new Error(`the generated log does not verify: ${result.value.message}`);
    return `${fmt(result)}, ${result.value.records.toLocaleString('en-US')} re-hashed`;
  } finally {
    await store.close();
  }
}

async function queryRows(file: string): Promise<{ subject: string; range: string }> {
  const store = SqliteAuditStore.open({ path: file, logger, readonly: true });
  try {
    const median = async (work: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 21; i++) samples.push((await timed(work)).wallMs);
      return samples.sort((a, b) => a - b)[10]!;
    };
    const subject = await median(() => store.query({ subject: 'spiffe://corp/bench/workload-7', limit: 50 }));
    const mid = Date.now() - 15 * 86_400_000;
    const range = await median(() =>
      store.query({
        from: new Date(mid).toISOString(),
        to: new Date(mid + 3_600_000).toISOString(),
        limit: 50,
      }),
    );
    return { subject: `${subject.toFixed(2)} ms`, range: `${range.toFixed(2)} ms` };
  } finally {
    await store.close();
  }
}

// 64 appends in flight, each awaited before its "connection" appends again: group commits as under load.
async function appendRow(file: string): Promise<string> {
  const store = SqliteAuditStore.open({ path: file, logger, synchronous: 'FULL' });
  const random = lcg(7);
  let clock = Date.now();
  const nextId = createDecisionIdGenerator(() => clock);
  const latencies: number[] = [];
  let issued = 0;
  const worker = async () => {
    while (issued < APPENDS) {
      issued += 1;
      clock = Date.now();
      const record = benchRecord(nextId(), clock, random, 10_000);
      const started = process.hrtime.bigint();
      await store.append(record);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  const result = await timed(() => Promise.all(Array.from({ length: IN_FLIGHT }, worker)));
  const commits = store.stats().commits;
  await store.close();
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(1);
  return (
    `${Math.round((APPENDS / result.wallMs) * 1000).toLocaleString('en-US')}/s, ` +
    `CPU ${((result.cpuMs / APPENDS) * 1000).toFixed(0)} µs/record, p50 ${p(0.5)} / p99 ${p(0.99)} ms, ` +
    `${commits} commits`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '0,1000000,10000000' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'full-up-to': { type: 'string' },
    },
  });
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'mg-audit-size-'));
  mkdirSync(dir, { recursive: true });
  const keyDir = join(dir, 'keys');
  const rows: Record<string, string>[] = [];
  try {
    for (const size of values.sizes.split(',').map(Number)) {
      const file = join(dir, `log-${size}.db`);
      if (!existsSync(file)) {
        const made = generateAuditLog({
          file,
          records: size,
          subjects: 10_000,
          checkpointEvery: 1000,
          keyDir,
          days: 30,
        });
        console.error(
          `generated ${size.toLocaleString('en-US')} records in ${made.seconds.toFixed(0)} s, ${(made.bytes / 1e9).toFixed(2)} GB`,
        );
      }
      const publicKey = readFileSync(join(keyDir, 'audit-signing.pub.pem'), 'utf8');
      // A full walk of 10M records takes minutes (a third of an hour on a busy machine): skippable.
      const fullUpTo = values['full-up-to'] === undefined ? Infinity : Number(values['full-up-to']);
      const full = size <= fullUpTo ? await verifyRow(file, publicKey, false) : 'not run (--full-up-to)';
      const incremental = await verifyRow(file, publicKey, true);
      const query = await queryRows(file);
      const append = await appendRow(file);
      rows.push({
        records: size.toLocaleString('en-US'),
        'verify --full': full,
        'verify (incremental)': incremental,
        'query by subject, first page': query.subject,
        'query 1 h range, first page': query.range,
        'append (64 in flight, FULL)': append,
      });
      console.error(JSON.stringify(rows.at(-1)));
    }
    const header = Object.keys(rows[0] ?? {});
    console.log(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
    for (const row of rows) console.log(`| ${header.map((h) => row[h]).join(' | ')} |`);
    console.log(
      `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ` +
        'shared with other engineers: wall times are noisy, CPU times steadier',
    );
  } finally {
    if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main();
