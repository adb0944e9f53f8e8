/**
 * The WAL checkpoint thread takes the copy of the audit WAL off the connection that commits; should that
 * thread stop, the store copies the WAL itself again. Real thread, real SQLite file. How much of the WAL was
 * copied is read from the wal-index, the -shm file (walProgress, shared with bench/wal-size.ts).
 */
import { join } from 'node:path';
import { walProgress } from '../../bench/lib/wal-index';
import { auditMigrations, openDatabase, SqliteAuditStore } from '../../src/audit';
import { DEFAULT_RECORD_LIMITS } from '../../src/audit/bound-record';
import { usageMigrations } from '../../src/usage/usage-migrations';
import { ThreadedAuditStore } from '../../src/writer/threaded-audit-store';
import { WalCheckpointThread } from '../../src/writer/wal-checkpoint-client';
import { WriterThread } from '../../src/writer/writer-client';
import { appendMany, makeRecord, openStore, silentLogger, tempDir } from '../audit/audit-fixtures';
import { waitFor } from '../helpers/wait-for';

const dir = tempDir();

async function untilCopied(file: string): Promise<{ frames: number; copied: number }> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const progress = walProgress(file);
    if ((progress.frames > 0 && progress.copied === progress.frames) || Date.now() > deadline)
      return progress;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Closed after each test, failed or not: a thread left running would keep jest from ending.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// The thread opens an existing database, as it does beside the writer thread.
function startThread(file: string, maxWalBytes?: number): WalCheckpointThread {
  openDatabase(file, [auditMigrations]).close();
  const thread = WalCheckpointThread.start({ path: file, synchronous: 'FULL', maxWalBytes }, silentLogger);
  cleanups.push(() => thread.close());
  return thread;
}

describe('the WAL checkpoint thread', () => {
  it('copies the WAL that the store commits, when the store asks', async () => {
    const file = join(dir, 'asked.db');
    let asked = 0;
    const thread = startThread(file);
    const store = openStore(file, { walCheckpointer: { request: () => (asked++, thread.request()) } });
    await appendMany(store, 20);
    const progress = await untilCopied(file);
    expect(progress.frames).toBeGreaterThan(0);
    expect(progress.copied).toBe(progress.frames);
    expect(asked).toBeGreaterThanOrEqual(1);
  });

  it('is the only one to copy it: the store does not checkpoint while the thread takes its requests', async () => {
    const file = join(dir, 'left.db');
    let asked = 0;
    const store = openStore(file, { walCheckpointer: { request: () => (asked++, true) } });
    await appendMany(store, 20);
    await pause(300);
    const progress = walProgress(file);
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(progress.frames).toBeGreaterThan(0);
    expect(progress.copied).toBeLessThan(progress.frames);
  });

  it('once stopped, answers no, and the store copies the WAL itself', async () => {
    const file = join(dir, 'stopped.db');
    const thread = startThread(file);
    const store = openStore(file, { walCheckpointer: thread });
    await thread.close();
    expect(thread.request()).toBe(false);
    await appendMany(store, 20);
    const progress = await untilCopied(file);
    expect(progress.copied).toBe(progress.frames);
  });

  it('once the WAL has grown past its bound, answers no once, so the store copies the rest between commits', async () => {
    // The thread copies while commits go on, so SQLite starts the WAL over only when a copy catches up between two
    // commits: under commits that never pause, never. The store's own copy runs between its commits and catches up.
    const file = join(dir, 'bounded.db');
    const thread = startThread(file, 1);
    const store = openStore(file, { walCheckpointer: thread });
    await appendMany(store, 20);
    await waitFor('the thread to report the WAL it copied', () => thread.walBytes > 1);
    expect(thread.request()).toBe(false);
    expect(thread.request()).toBe(true);
  });

  it("runs beside the service's writer thread, and ends when it closes", async () => {
    const file = join(dir, 'writer.db');
    const db = openDatabase(file, [auditMigrations, usageMigrations]);
    const preparation = { limits: DEFAULT_RECORD_LIMITS, redactionFormat: '[REDACTED:<class>]' };
    cleanups.push(async () => {
      db.close();
    });
    const writer = await WriterThread.start({ path: file, synchronous: 'FULL', preparation }, silentLogger);
    const store = new ThreadedAuditStore(
      writer,
      SqliteAuditStore.open({ database: db, readonly: true, logger: silentLogger }),
    );
    cleanups.push(() => store.close());
    for (let i = 0; i < 5; i++) await store.append(makeRecord());
    const progress = await untilCopied(file);
    expect(progress.copied).toBe(progress.frames);
    await store.close();
    expect(writer.running).toBe(false);
  });
});
