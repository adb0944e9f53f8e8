/**
 * The database writer thread: the one connection that writes the audit log and the usage reports.
 * The main thread hands it records and waits for them to be committed before it replies to the
 * caller, so nothing about durability changes; what changes is that preparing, chaining and
 * committing (fsync included) no longer hold up the event loop that serves requests.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditRecordV1 } from '../audit/audit-record';
import { openDatabase } from '../audit/database';
import { SqliteAuditStore } from '../audit/sqlite-audit-store';
import { appendStorable } from '../decision/record-privacy';
import { ScreeningCache } from '../screening';
import { ConfigError } from '../errors';
import { SqliteUsageReports } from '../usage/usage-reports';
import type { ApprovalChange } from '../approvals/approval-store';
import { applyChange } from '../approvals/sqlite-approval-store';
import {
  toWire,
  type AppendOutcome,
  type CommitTiming,
  type WriterReply,
  type WriterRequest,
  type WriterSettings,
} from './protocol';
import { forwardingLogger } from '../threads/forwarding-logger';
import { WalCheckpointThread } from './wal-checkpoint-client';

const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread, started by WriterThread');

const post = (reply: WriterReply): void => port.postMessage(reply);
const settings = workerData as WriterSettings;
const logger = forwardingLogger(post);

let db: ReturnType<typeof openDatabase>;
let store: SqliteAuditStore;
let reports: SqliteUsageReports;
let walCheckpoints: WalCheckpointThread;
try {
  // The main thread migrated the file before starting this thread; the store checks the audit schema.
  db = openDatabase(settings.path, [], {
    synchronous: settings.synchronous,
    busyTimeoutMs: settings.busyTimeoutMs,
    logger,
  });
  walCheckpoints = WalCheckpointThread.start(
    { path: settings.path, synchronous: settings.synchronous },
    logger,
  );
  store = SqliteAuditStore.open({
    database: db,
    checkpoint: settings.checkpoint,
    maxBatchSize: settings.maxBatchSize,
    walCheckpointer: walCheckpoints,
    onCommit: (timing) => commitsSinceReply.push(timing),
    logger,
  });
  reports = new SqliteUsageReports(db);
  post({ op: 'ready' });
} catch (err) {
  const [key, detail] =
    err instanceof ConfigError
      ? [err.key, err.detail]
      : ['db', `${settings.path}: ${(err as Error).message}`];
  post({ op: 'failed', key, detail });
  process.exit(1);
}

// Requests sent while the thread commits share its next transaction, so commits are timed per transaction
// and go out with whichever reply comes next.
const commitsSinceReply: CommitTiming[] = [];
const commits = (): CommitTiming[] | undefined =>
  commitsSinceReply.length > 0 ? commitsSinceReply.splice(0) : undefined;

port.on('message', (request: WriterRequest) => {
  handle(request).then(
    (result) =>
      post({
        op: 'done',
        id: request.id,
        result,
        stats: store.stats(),
        heapUsed: heapUsed(),
        commits: commits(),
      }),
    (err: unknown) =>
      post({
        op: 'done',
        id: request.id,
        error: toWire(err),
        stats: store.stats(),
        heapUsed: heapUsed(),
        commits: commits(),
      }),
  );
});

async function handle(request: WriterRequest): Promise<unknown> {
  switch (request.op) {
    case 'append': {
      // Enqueued in one turn, so the store commits them in one transaction (up to its batch limit).
      const settled = await Promise.allSettled(
        request.records.map((json, i) =>
          appendOne(json, request.decisions[i] === true, request.changes?.[i] ?? null),
        ),
      );
      return settled.map((outcome): AppendOutcome =>
        outcome.status === 'fulfilled' ? outcome.value : { error: toWire(outcome.reason) },
      );
    }
    case 'report':
      return reports.insertNow(request.row);
    case 'prune':
      return store.prune({ before: new Date(request.beforeMs) });
    case 'close':
      await store.close();
      // Before this connection closes: SQLite's last connection to close copies what is left and removes the WAL.
      await walCheckpoints.close();
      db.close();
      return null;
  }
}

// JSON.parse of what JSON.stringify wrote cannot fail; the store's own checks then refuse a bad record alone.
const parseRecord = (json: string): AuditRecordV1 => JSON.parse(json) as AuditRecordV1;

// A decision's record is bounded and screened here rather than on the event loop that serves decisions: the
// work is the same wherever it runs, and this thread has the time (it mostly waits for fsync).
const declared = new ScreeningCache(settings.preparation.cacheEntries ?? 0);

async function appendOne(
  json: string,
  decision: boolean,
  change: ApprovalChange | null,
): Promise<AppendOutcome> {
  const record = parseRecord(json);
  if (change) {
    // The approval's change (a compare-and-set) and its record commit together, or neither does.
    await store.appendIf(record, () => applyChange(db, change));
    return null;
  }
  const append = (r: AuditRecordV1) => store.append(r);
  if (!decision) {
    await append(record);
    return null;
  }
  const changed = await appendStorable(append, record, settings.preparation, declared);
  return changed ? { changed } : null;
}

const heapUsed = (): number => getHeapStatistics().used_heap_size;
