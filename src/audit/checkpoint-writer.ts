import type { Statement } from 'better-sqlite3';
import { latestAnchor } from './audit-retention';
import type { Db } from './database';
import type { ChainHead } from './hash-chain';
import type { CheckpointSigner } from './signed-checkpoints';

/** When to sign: after this many unsigned records, or this long after the last signature. */
export interface CheckpointPolicy {
  everyRecords: number;
  everyMs: number;
}

/** Signs the chain head into audit_checkpoints when the policy says it is due. */
export class CheckpointWriter {
  private lastSignedMs: number;
  private readonly lastSeq: Statement;
  private readonly insert: Statement;

  constructor(
    private readonly db: Db,
    private readonly signer: CheckpointSigner,
    private readonly policy: CheckpointPolicy,
    private readonly now: () => number,
  ) {
    // Counting from start-up: after a restart the first time-based checkpoint comes one period later.
    this.lastSignedMs = now();
    this.lastSeq = db.prepare('SELECT max(seq) AS seq FROM audit_checkpoints');
    this.insert = db.prepare(
      `INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature)
       VALUES (@seq, @hash, @signed_at, @key_id, @signature)`,
    );
  }

  /**
   * Inside a write transaction: signs `head` if records are unsigned and enough of them (or enough
   * time) have accumulated, or if `force`. Returns the signing time to pass to committed(), or null.
   */
  signIfDue(head: ChainHead, force: boolean): number | null {
    const last = this.lastSeq.get() as { seq: number | null };
    const signedThrough = Math.max(last.seq ?? 0, latestAnchor(this.db)?.seq ?? 0);
    const unsigned = head.seq - signedThrough;
    if (unsigned <= 0) return null;
    const now = this.now();
    const due = unsigned >= this.policy.everyRecords || now - this.lastSignedMs >= this.policy.everyMs;
    if (!force && !due) return null;
    this.insert.run(this.signer.sign(head.seq, head.hash, new Date(now).toISOString()));
    return now;
  }

  /** Records that the transaction holding a signIfDue() signature committed. */
  committed(signedAtMs: number): void {
    this.lastSignedMs = signedAtMs;
  }
}
