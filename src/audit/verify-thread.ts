import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { verifyChain } from './chain-verifier';
import type { Checkpoint } from './signed-checkpoints';
import { loadCheckpointKey } from './signed-checkpoints';
import type { VerifyResult } from './audit-store';
import { niceThisThread } from '../threads/thread-nice';

/** What the verify thread is given, by value: it opens the file read-only for itself. */
export interface VerifyThreadData {
  file: string;
  /** PEM public keys (KeyObjects do not cross to a worker as workerData). */
  publicKeys?: string[];
  incremental?: boolean;
  witness?: Checkpoint;
}

/** The thread's one message. */
export type VerifyThreadReply = { ok: true; result: VerifyResult } | { ok: false; message: string };

// A walk re-hashes every record: on a large log, minutes of work that the event loop answering decisions
// should not share, even in slices (bench/RESULTS.md, "Decisions during an audit verify walk").
async function run(data: VerifyThreadData): Promise<VerifyResult> {
  try {
    // At a high nice value the walk takes the CPU the decisions leave over.
    niceThisThread(10);
  } catch {
    // A courtesy to the decisions; the walk is the same without it.
  }
  const keys = data.publicKeys ? data.publicKeys.map(loadCheckpointKey) : null;
  const db = new Database(data.file, { readonly: true, fileMustExist: true });
  try {
    return await verifyChain(db, { keys, incremental: data.incremental, witness: data.witness });
  } finally {
    db.close();
  }
}

run(workerData as VerifyThreadData).then(
  (result) => parentPort?.postMessage({ ok: true, result } satisfies VerifyThreadReply),
  (err: unknown) =>
    parentPort?.postMessage({ ok: false, message: (err as Error).message } satisfies VerifyThreadReply),
);
