/**
 * The WAL checkpoint thread: copies the audit log's WAL back into the database file, from a connection of
 * its own, whenever the writer thread asks (at most every 50 ms while it commits). Done on the writer
 * thread, between commits, each copy held it 1.9 ms at p50 and up to 8.6 ms under load, and every decision
 * that arrived meanwhile waited for it (bench/RESULTS.md, "What a core buys"). A PASSIVE checkpoint takes no
 * lock a writer needs, so commits go on while it runs; the writer starts the WAL over once all was copied.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { forwardingLogger } from '../threads/forwarding-logger';
import type { WalCheckpointRequest, WalCheckpointSettings, WalReport } from './wal-checkpoint-client';

const port = parentPort;
if (!port)
  throw new Error('wal-checkpoint-thread.ts runs as a worker thread, started by WalCheckpointThread');

const { path, synchronous } = workerData as WalCheckpointSettings;
const logger = forwardingLogger((line) => port.postMessage(line));
// The file exists (the writer thread has it open) and is in WAL mode, which the file itself keeps.
const db = new Database(path, { fileMustExist: true });
// The checkpoint's fsyncs follow this: FULL and NORMAL sync the WAL before the copy and the database after it.
db.pragma(`synchronous = ${synchronous}`);
// A WAL frame is a page and its 24-byte header.
const frameBytes = (db.pragma('page_size', { simple: true }) as number) + 24;

port.on('message', (request: WalCheckpointRequest) => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    // `log`: the frames in the WAL when the copy began.
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)') as [{ log: number }];
    port.postMessage({ op: 'wal', bytes: log * frameBytes } satisfies WalReport);
  } catch (err) {
    // Nothing is lost: the records are in the WAL. The writer asks again after its next commit.
    logger.warn({ err }, 'could not checkpoint the audit WAL; will retry');
  }
});
