/**
 * DB growth per rejected request (issue #13, item 3): a bounded loop of requests against a real
 * modelgate on loopback, then the audit database's size after a WAL checkpoint, divided by the
 * requests sent. Two configurations: "before" records every anonymous rejection and keeps 1 MiB of
 * context, "after" the shipped defaults. For anonymous rejections "before" is what modelgate did (it
 * matches the ~880 B a row the issue measured); a large context was then stored verbatim (about its own
 * size a request), which no configuration of this build reproduces, so that row shows "after" only.
 * Not a load test: sequential requests.
 *
 *   npx tsx bench/db-growth.ts [--requests 2000]
 */
import Database from 'better-sqlite3';
import { startTestService, type TestService } from '../test/helpers/service';

const requests = Number(process.argv[process.argv.indexOf('--requests') + 1] || 2000);
const invocation = { model: 'anthropic.claude-haiku', operation: 'chat' };

interface Scenario {
  name: string;
  compare: boolean;
  send: (svc: TestService) => Promise<number>;
}

const scenarios: Scenario[] = [
  {
    name: 'no token (401)',
    compare: true,
    send: async (svc) => (await svc.post('/v1/decide', { invocation }, null)).status,
  },
  {
    name: 'forged token (401)',
    compare: true,
    send: async (svc) => (await svc.post('/v1/decide', { invocation }, `${svc.token()}x`)).status,
  },
  {
    name: 'valid token, 900 KB context',
    compare: false,
    send: async (svc) =>
      (await svc.post('/v1/decide', { invocation, context: { blob: 'x'.repeat(900_000) } }, svc.token()))
        .status,
  },
];

const configs = {
  before: { synchronous: 'FULL' as const, anonymousRecordsPerMinute: 0 },
  after: { synchronous: 'FULL' as const },
};

function dbBytes(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  } finally {
    db.close();
  }
}

async function measure(config: (typeof configs)[keyof typeof configs], scenario: Scenario): Promise<number> {
  const svc = await startTestService({ audit: config });
  const token = svc.token();
  await svc.post('/v1/decide', { invocation }, token); // the schema and first pages exist before counting
  const empty = dbBytes(svc.db);
  for (let i = 0; i < requests; i++) await scenario.send(svc);
  await svc.close();
  return (dbBytes(svc.db) - empty) / requests;
}

async function main(): Promise<void> {
  console.log(`| requests: ${requests} | before (B/request) | after (B/request) |`);
  console.log('| --- | ---: | ---: |');
  for (const scenario of scenarios) {
    const before = scenario.compare ? (await measure(configs.before, scenario)).toFixed(0) : '≈ 900 000';
    const after = await measure(configs.after, scenario);
    console.log(`| ${scenario.name} | ${before} | ${after.toFixed(1)} |`);
  }
}

void main();
