import { parentPort, workerData } from 'node:worker_threads';
import { opaFileHash } from './opa-file-hash';

/** What the hash thread is given: one bundle file (copied to the thread) and the digest to take. */
export interface FileHashThreadData {
  name: string;
  content: Uint8Array;
  algorithm: string;
}

/** The thread's one message: the hex digest, or why the file could not be hashed. */
export type FileHashThreadReply = { ok: true; hash: string } | { ok: false; message: string };

function run(data: FileHashThreadData): FileHashThreadReply {
  const content = Buffer.from(data.content.buffer, data.content.byteOffset, data.content.byteLength);
  try {
    return { ok: true, hash: opaFileHash(data.name, content, data.algorithm) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

parentPort?.postMessage(run(workerData as FileHashThreadData));
