import { createPublicKey, type KeyObject } from 'node:crypto';
import { newWorker } from '../threads/new-worker';
import type { VerifyOptions, VerifyResult } from './audit-store';
import type { VerifyThreadData, VerifyThreadReply } from './verify-thread';

/**
 * Returns verifyChain's result for the SQLite file, computed on a worker thread of its own (progress callbacks
 * cannot cross threads: callers that want them walk on their own thread).
 */
export function verifyOnThread(
  file: string,
  options: Omit<VerifyOptions, 'onProgress'>,
): Promise<VerifyResult> {
  const data: VerifyThreadData = {
    file,
    publicKeys: options.publicKeys?.map(pem),
    incremental: options.incremental,
    witness: options.witness,
  };
  return new Promise((resolve, reject) => {
    const worker = newWorker(__dirname, 'verify-thread', data);
    worker.once('message', (reply: VerifyThreadReply) => {
      void worker.terminate();
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`audit verify failed: ${reply.message}`));
    });
    worker.once('error', (err) =>
      reject(new Error(`the audit verify thread failed: ${err.message}`, { cause: err })),
    );
  });
}

function pem(key: string | Buffer | KeyObject): string {
  if (typeof key === 'string') return key;
  const object = Buffer.isBuffer(key) ? createPublicKey(key) : key;
  return object.export({ type: 'spki', format: 'pem' }).toString();
}
