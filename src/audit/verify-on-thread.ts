import { createPublicKey, type KeyObject } from 'node:crypto';
import { runOnThread } from '../threads/run-on-thread';
import type { VerifyOptions, VerifyResult } from './audit-store';
import type { VerifyThreadData, VerifyThreadReply } from './verify-thread';

/**
 * Returns verifyChain's result for the SQLite file, computed on a worker thread of its own (progress callbacks
 * cannot cross threads: callers that want them walk on their own thread).
 */
export async function verifyOnThread(
  file: string,
  options: Omit<VerifyOptions, 'onProgress'>,
): Promise<VerifyResult> {
  const data: VerifyThreadData = {
    file,
    publicKeys: options.publicKeys?.map(pem),
    incremental: options.incremental,
    witness: options.witness,
  };
  const reply = await runOnThread<VerifyThreadReply>(__dirname, 'verify-thread', data, {
    what: 'the audit verify thread',
  });
  if (!reply.ok) throw new Error(`audit verify failed: ${reply.message}`);
  return reply.result;
}

function pem(key: string | Buffer | KeyObject): string {
  if (typeof key === 'string') return key;
  const object = Buffer.isBuffer(key) ? createPublicKey(key) : key;
  return object.export({ type: 'spki', format: 'pem' }).toString();
}
