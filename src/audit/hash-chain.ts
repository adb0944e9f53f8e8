import { hash } from 'node:crypto';

/** prev_hash of the first record of a chain that was never pruned. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where the chain currently ends: the next record gets seq + 1 and prev_hash = hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** The head of an empty, never-pruned chain. */
export const GENESIS_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * Returns the hex SHA-256 that links a record into the chain:
 * SHA-256( prev_hash as 64 ASCII hex characters || canonical JSON {"record":<record>,"seq":<seq>} ).
 * The seq is inside the hashed bytes, so moving a record to another position breaks its hash;
 * prev_hash is too, so removing, inserting or swapping records breaks the link to the next one.
 * `recordJson` must already be canonical: with sorted keys, `{"record":…,"seq":…}` is canonical too.
 */
export function chainHash(prevHash: string, seq: number, recordJson: string): string {
  // One-shot hash: no Hash object per record (verify computes millions of these).
  return hash('sha256', `${prevHash}{"record":${recordJson},"seq":${seq}}`, 'hex');
}
