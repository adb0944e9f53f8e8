import type { VerifyBroken, VerifyResult } from './audit-store';
import { derivedDisagreement, hashesAt, type ChainRow } from './chain-row';
import { breakReporter, classifyBreak } from './classify-break';
import type { Db } from './database';
import { GENESIS_HEAD, type ChainHead } from './hash-chain';
import { checkpointSignatureValid, type Checkpoint, type CheckpointKey } from './signed-checkpoints';

/** Options for verifyChain. */
export interface ChainVerifyOptions {
  /** Keys whose checkpoints are checked; null skips checkpoints entirely. */
  keys: CheckpointKey[] | null;
  onProgress?: (recordsChecked: number) => void;
}

// Walk order is chain order; the correlated subquery reads each record's reason rows by primary key.
const WALK_SQL = `
  SELECT r.*, (SELECT json_group_array(json_array(x.reason, x.ts_ms) ORDER BY x.reason)
               FROM audit_reasons x WHERE x.seq = r.seq) AS reason_rows
  FROM audit_records r ORDER BY r.seq`;
const YIELD_EVERY = 500;

type Anchor = ChainHead & { pruned_at: string };

/**
 * Returns whether the chain is intact, or its first break. Streams rows in seq order (constant
 * memory) inside one read transaction, so appends committed meanwhile are not half-seen; it yields to
 * the event loop every few thousand rows, so call it on a connection of its own.
 */
export async function verifyChain(db: Db, options: ChainVerifyOptions): Promise<VerifyResult> {
  db.exec('BEGIN');
  try {
    return await verifyInSnapshot(db, options);
  } finally {
    db.exec('ROLLBACK');
  }
}

async function verifyInSnapshot(db: Db, options: ChainVerifyOptions): Promise<VerifyResult> {
  const anchor = db
    .prepare('SELECT seq, hash, pruned_at FROM audit_prunes ORDER BY seq DESC LIMIT 1')
    .get() as Anchor | undefined;
  let prev: ChainHead = anchor ? { seq: anchor.seq, hash: anchor.hash } : GENESIS_HEAD;
  let checked = 0;
  let reasonRows = 0;
  let bad: ChainRow | undefined;
  for (const row of db.prepare(WALK_SQL).iterate() as IterableIterator<ChainRow>) {
    if (!rowIsSound(row, prev)) {
      bad = row;
      break;
    }
    prev = { seq: row.seq, hash: row.hash };
    checked += 1;
    reasonRows += (JSON.parse(row.reason_rows ?? '[]') as unknown[]).length;
    if (checked % YIELD_EVERY === 0) {
      options.onProgress?.(checked);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  options.onProgress?.(checked);
  if (bad) return classifyBreak(db, { row: bad, prev, checked });

  const orphan = orphanReasonRow(db, reasonRows, checked);
  if (orphan) return orphan;

  const coverage = options.keys ? checkCheckpoints(db, options.keys, prev, anchor, checked) : null;
  if (coverage && 'ok' in coverage) return coverage;
  return { ok: true, records: checked, head: prev.hash, anchor: anchor ?? null, checkpoints: coverage };
}

function rowIsSound(row: ChainRow, prev: ChainHead): boolean {
  return (
    row.seq === prev.seq + 1 &&
    hashesAt(row, row.seq) &&
    row.prev_hash === prev.hash &&
    derivedDisagreement(row) === null
  );
}

// Reason rows whose record is gone: the index still vouches for records that were deleted.
function orphanReasonRow(db: Db, seen: number, checked: number): VerifyBroken | null {
  const total = (db.prepare('SELECT count(*) AS n FROM audit_reasons').get() as { n: number }).n;
  if (total === seen) return null;
  const orphan = db
    .prepare(
      'SELECT seq FROM audit_reasons WHERE seq NOT IN (SELECT seq FROM audit_records) ORDER BY seq LIMIT 1',
    )
    .get() as { seq: number } | undefined;
  const seq = orphan?.seq ?? 0;
  return breakReporter(checked)(
    'deleted',
    seq,
    null,
    `the reason index still lists seq ${seq}, which is not in the log: records were deleted`,
  );
}

type CheckpointRow = Checkpoint & { record_hash: string | null; decision_id: string | null };

function checkCheckpoints(
  db: Db,
  keys: CheckpointKey[],
  head: ChainHead,
  anchor: Anchor | undefined,
  checked: number,
): VerifyBroken | { verified: number; last_seq: number | null; unsigned_records: number } {
  const start = anchor?.seq ?? 0;
  let lastGood = start;
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
    verified += 1;
  }
  const lastSeq = verified > 0 ? lastGood : null;
  return { verified, last_seq: lastSeq, unsigned_records: head.seq - lastGood };
}
