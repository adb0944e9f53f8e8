import type { VerifyBroken } from './audit-store';
import { breakReporter } from './classify-break';
import type { Db } from './database';
import type { ChainHead } from './hash-chain';
import { checkpointSignatureValid, type Checkpoint, type CheckpointKey } from './signed-checkpoints';

/** Where the chain starts after pruning: the last pruned record. */
export type Anchor = ChainHead & { pruned_at: string };

/** What the signed checkpoints vouch for, when every one of them checks out. */
export interface CheckpointCoverage {
  verified: number;
  last_seq: number | null;
  unsigned_records: number;
  /** The last checkpoint verified (signature valid, the log's hash at its seq equal to the signed one). */
  last: Checkpoint | null;
}

type CheckpointRow = Checkpoint & { record_hash: string | null; decision_id: string | null };

/**
 * Returns the checkpoints' coverage, or the first one that fails: a signature that is invalid or by
 * a key not given, a signed seq past the head (records deleted), or a signed hash the log no longer
 * has at that seq (the chain was rewritten). Costs one signature check and one primary-key lookup
 * per checkpoint, not a walk of the records: incremental verify runs it before it walks.
 */
export function checkCheckpoints(
  db: Db,
  keys: CheckpointKey[],
  head: ChainHead,
  anchor: Anchor | undefined,
  checked: number,
): VerifyBroken | CheckpointCoverage {
  const start = anchor?.seq ?? 0;
  let lastGood = start;
  let last: Checkpoint | null = null;
  let verified = 0;
  const broken = breakReporter(checked);
  const rows = db
    .prepare(
      `SELECT c.*, r.hash AS record_hash, r.decision_id FROM audit_checkpoints c
       LEFT JOIN audit_records r ON r.seq = c.seq ORDER BY c.seq`,
    )
    .iterate() as IterableIterator<CheckpointRow>;
  for (const checkpoint of rows) {
    // Checkpoints of pruned records cannot be compared to anything but the anchor.
    if (checkpoint.seq < start) continue;
    const key = keys.find((k) => k.keyId === checkpoint.key_id);
    if (!key) {
      return broken(
        'bad_checkpoint_signature',
        checkpoint.seq,
        checkpoint.decision_id,
        `the checkpoint at seq ${checkpoint.seq} is signed by key ${checkpoint.key_id}, which is not one of the keys given`,
      );
    }
    if (!checkpointSignatureValid(checkpoint, key)) {
      return broken(
        'bad_checkpoint_signature',
        checkpoint.seq,
        checkpoint.decision_id,
        `the signature of the checkpoint at seq ${checkpoint.seq} is invalid`,
      );
    }
    if (checkpoint.seq > head.seq) {
      return broken(
        'deleted',
        head.seq + 1,
        null,
        `records after seq ${head.seq} were deleted: a signed checkpoint covers seq ${checkpoint.seq}`,
      );
    }
    const chainHashAtSeq = checkpoint.seq === start ? (anchor?.hash ?? null) : checkpoint.record_hash;
    if (chainHashAtSeq === null && checkpoint.seq !== start) {
      return broken(
        'deleted',
        checkpoint.seq,
        null,
        `the record at seq ${checkpoint.seq}, which a signed checkpoint covers, is not in the log`,
      );
    }
    if (chainHashAtSeq !== checkpoint.hash) {
      const first = db.prepare('SELECT decision_id FROM audit_records WHERE seq = ?').get(lastGood + 1) as
        { decision_id: string } | undefined;
      return broken(
        'rewritten',
        lastGood + 1,
        first?.decision_id ?? null,
        `the chain was rewritten between seq ${lastGood + 1} and ${checkpoint.seq}: the checkpoint signed at seq ${checkpoint.seq} names hash ${checkpoint.hash}, the log has ${chainHashAtSeq ?? 'nothing'}`,
      );
    }
    lastGood = checkpoint.seq;
    last = checkpoint;
    verified += 1;
  }
  const lastSeq = verified > 0 ? lastGood : null;
  return { verified, last_seq: lastSeq, unsigned_records: head.seq - lastGood, last };
}

/**
 * Returns why the log contradicts `witness`, a signed checkpoint an earlier verify saw, or null when the log
 * still holds its seq with its hash (a prune past it is reported too: nothing would be left to compare). A log rolled back
 * below it, or replaced by another chain, still verifies on its own once the checkpoints that would contradict it
 * are deleted too; the witness, kept off the database host, is what remembers them. One lookup.
 */
export function checkWitness(
  db: Db,
  keys: CheckpointKey[],
  witness: Checkpoint,
  head: ChainHead,
  anchor: Anchor | undefined,
): VerifyBroken | null {
  const broken = breakReporter(0);
  const seen = `an earlier verify saw a signed checkpoint at seq ${witness.seq} (signed ${witness.signed_at})`;
  const key = keys.find((k) => k.keyId === witness.key_id);
  if (!key || !checkpointSignatureValid(witness, key)) {
    return broken(
      'bad_checkpoint_signature',
      witness.seq,
      null,
      `the witness checkpoint at seq ${witness.seq} is not signed by a key given: it is not one an earlier verify saw`,
    );
  }
  if (witness.seq > head.seq) {
    return broken(
      'deleted',
      head.seq + 1,
      null,
      `the log ends at seq ${head.seq}, but ${seen}: records were deleted`,
    );
  }
  if (anchor && witness.seq < anchor.seq) {
    // A legitimate prune removes old records, not ones a recent verify saw signed; an anchor is written by
    // whoever can write the log, so one placed past the witness would otherwise end every comparison.
    return broken(
      'deleted',
      witness.seq,
      null,
      `the log was pruned through seq ${anchor.seq} (${anchor.pruned_at}), past the record at seq ${witness.seq}: ${seen}; if that prune was yours, remove the witness file to trust the log as it is now`,
    );
  }
  const row =
    anchor && witness.seq === anchor.seq
      ? { hash: anchor.hash, decision_id: null }
      : (db.prepare('SELECT hash, decision_id FROM audit_records WHERE seq = ?').get(witness.seq) as
          { hash: string; decision_id: string } | undefined);
  if (!row) {
    return broken(
      'deleted',
      witness.seq,
      null,
      `the record at seq ${witness.seq} is not in the log, but ${seen}`,
    );
  }
  if (row.hash === witness.hash) return null;
  return broken(
    'rewritten',
    witness.seq,
    row.decision_id,
    `the chain was rewritten up to seq ${witness.seq}: ${seen} naming hash ${witness.hash}, the log has ${row.hash}`,
  );
}
