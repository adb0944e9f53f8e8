import type { VerifiedRange, VerifyBroken, VerifyOk, VerifyResult } from './audit-store';
import { derivedDisagreement, hashesAt, type ChainRow } from './chain-row';
import { checkCheckpoints, checkWitness, type Anchor, type CheckpointCoverage } from './checkpoint-coverage';
import { breakReporter, classifyBreak } from './classify-break';
import type { Db } from './database';
import { GENESIS_HEAD, type ChainHead } from './hash-chain';
import type { Checkpoint, CheckpointKey } from './signed-checkpoints';

/** Options for verifyChain. */
export interface ChainVerifyOptions {
  /** Keys whose checkpoints are checked; null skips checkpoints entirely. */
  keys: CheckpointKey[] | null;
  /** Walk from the last checkpoint that verifies under `keys` rather than from the chain's start. */
  incremental?: boolean;
  onProgress?: (recordsChecked: number) => void;
  /** A signed checkpoint an earlier verify saw, which the log must still hold (needs keys). */
  witness?: Checkpoint;
}

// Walk order is chain order; the correlated subquery reads each record's reason rows by primary key.
const WALK_SQL = `
  SELECT r.*, (SELECT json_group_array(json_array(x.reason, x.ts_ms) ORDER BY x.reason)
               FROM audit_reasons x WHERE x.seq = r.seq) AS reason_rows
  FROM audit_records r WHERE r.seq >= ? ORDER BY r.seq`;
const YIELD_EVERY = 500;

/** Where the walk begins: the link before its first row, and the checkpoint it trusts, if any. */
interface WalkStart {
  prev: ChainHead;
  fromSeq: number;
  trusted: CheckpointCoverage['last'];
}

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
  const chainStart: ChainHead = anchor ? { seq: anchor.seq, hash: anchor.hash } : GENESIS_HEAD;
  // A full walk reads every row, so a row left before the anchor is a break too.
  let start: WalkStart = { prev: chainStart, fromSeq: 0, trusted: null };
  let coverage: CheckpointCoverage | null = null;

  const notWalked = rangeOf(options.incremental ? 'incremental' : 'full', null, 0, null);
  const stray = recordBeforeStart(db, chainStart);
  if (stray) return { ...stray, range: notWalked };
  const last =
    (db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1').get() as
      ChainHead | undefined) ?? chainStart;
  if (options.witness) {
    if (!options.keys) throw new TypeError('verify: a witness checkpoint needs the public keys to check it');
    const contradicted = checkWitness(db, options.keys, options.witness, last, anchor);
    if (contradicted) return { ...contradicted, range: notWalked };
  }

  if (options.incremental && options.keys) {
    // Every checkpoint is checked first (cheap: one signature and one lookup each); the last one
    // then vouches for everything before it, and only the records from it on are re-hashed.
    const checked = checkCheckpoints(db, options.keys, last, anchor, 0);
    if ('ok' in checked) return { ...checked, range: rangeOf('incremental', null, 0, null) };
    coverage = checked;
    start = trustedStart(db, checked, chainStart) ?? start;
  }
  const mode = start.trusted ? 'incremental' : 'full';

  let prev = start.prev;
  let checked = 0;
  let reasonRows = 0;
  let bad: ChainRow | undefined;
  let firstSeq: number | null = null;
  for (const row of db.prepare(WALK_SQL).iterate(start.fromSeq) as IterableIterator<ChainRow>) {
    if (!rowIsSound(row, prev)) {
      bad = row;
      break;
    }
    prev = { seq: row.seq, hash: row.hash };
    firstSeq ??= row.seq;
    checked += 1;
    reasonRows += (JSON.parse(row.reason_rows ?? '[]') as unknown[]).length;
    if (checked % YIELD_EVERY === 0) {
      options.onProgress?.(checked);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  options.onProgress?.(checked);
  const range = rangeOf(mode, firstSeq, checked, prev, start.trusted);
  if (bad) return { ...classifyBreak(db, { row: bad, prev, checked }), range };

  const orphan = orphanReasonRow(db, start.fromSeq, reasonRows, checked);
  if (orphan) return { ...orphan, range };

  if (options.keys && !coverage) {
    const checkedCoverage = checkCheckpoints(db, options.keys, prev, anchor, checked);
    if ('ok' in checkedCoverage) return { ...checkedCoverage, range };
    coverage = checkedCoverage;
  }
  const checkpoints = coverage
    ? {
        verified: coverage.verified,
        last_seq: coverage.last_seq,
        unsigned_records: coverage.unsigned_records,
        last: coverage.last && signedPart(coverage.last),
      }
    : null;
  const witness = witnessHeld(options.witness);
  return { ok: true, records: checked, head: prev.hash, anchor: anchor ?? null, checkpoints, witness, range };
}

// The checkpoint as it was signed, without the columns the coverage query joined to it.
function signedPart(checkpoint: Checkpoint): Checkpoint {
  const { seq, hash, signed_at, key_id, signature } = checkpoint;
  return { seq, hash, signed_at, key_id, signature };
}

// The witness the log was compared with; null when none was given.
function witnessHeld(witness: Checkpoint | undefined): VerifyOk['witness'] {
  return witness ? { seq: witness.seq, signed_at: witness.signed_at } : null;
}

// The last verified checkpoint, if it lies after the chain's start and its record is there; null
// means walk from the start (no checkpoint, or only one at the prune anchor).
function trustedStart(db: Db, coverage: CheckpointCoverage, chainStart: ChainHead): WalkStart | null {
  const checkpoint = coverage.last;
  if (!checkpoint || checkpoint.seq <= chainStart.seq) return null;
  const row = db.prepare('SELECT prev_hash FROM audit_records WHERE seq = ?').get(checkpoint.seq) as
    { prev_hash: string } | undefined;
  if (!row) return null;
  // The checkpoint's own record is re-hashed too: the walk starts at it, linked as its prev_hash says.
  return {
    prev: { seq: checkpoint.seq - 1, hash: row.prev_hash },
    fromSeq: checkpoint.seq,
    trusted: checkpoint,
  };
}

function rangeOf(
  mode: VerifiedRange['mode'],
  fromSeq: number | null,
  checked: number,
  last: ChainHead | null,
  trusted: CheckpointCoverage['last'] = null,
): VerifiedRange {
  return {
    mode,
    from_seq: checked > 0 ? fromSeq : null,
    to_seq: checked > 0 && last ? last.seq : null,
    trusted_checkpoint: trusted
      ? { seq: trusted.seq, hash: trusted.hash, signed_at: trusted.signed_at, key_id: trusted.key_id }
      : null,
  };
}

function rowIsSound(row: ChainRow, prev: ChainHead): boolean {
  return (
    row.seq === prev.seq + 1 &&
    hashesAt(row, row.seq) &&
    row.prev_hash === prev.hash &&
    derivedDisagreement(row) === null
  );
}

// A row at or before the chain's start (seq 0 or below, or at or below the prune anchor). Neither walk reads
// there, yet queries and exports show every row, so a record slipped in there would pass as evidence. One
// primary-key range lookup.
function recordBeforeStart(db: Db, chainStart: ChainHead): VerifyBroken | null {
  const row = db
    .prepare('SELECT seq, decision_id FROM audit_records WHERE seq <= ? ORDER BY seq LIMIT 1')
    .get(chainStart.seq) as { seq: number; decision_id: string } | undefined;
  if (!row) return null;
  const start =
    chainStart.seq === 0
      ? 'the chain starts at seq 1'
      : `the chain starts after the prune anchor at seq ${chainStart.seq}`;
  return breakReporter(0)(
    'inserted',
    row.seq,
    row.decision_id,
    `a record sits at seq ${row.seq}, before the start of the chain (${start}): no record can be there`,
  );
}

// Reason rows whose record is gone: the index still vouches for records that were deleted. Only
// rows from `fromSeq` on count: an incremental verify does not read the reason index before it.
function orphanReasonRow(db: Db, fromSeq: number, seen: number, checked: number): VerifyBroken | null {
  const total = (
    db.prepare('SELECT count(*) AS n FROM audit_reasons WHERE seq >= ?').get(fromSeq) as { n: number }
  ).n;
  if (total === seen) return null;
  const orphan = db
    .prepare(
      `SELECT seq FROM audit_reasons WHERE seq >= ? AND seq NOT IN (SELECT seq FROM audit_records)
       ORDER BY seq LIMIT 1`,
    )
    .get(fromSeq) as { seq: number } | undefined;
  const seq = orphan?.seq ?? 0;
  return breakReporter(checked)(
    'deleted',
    seq,
    null,
    `the reason index still lists seq ${seq}, which is not in the log: records were deleted`,
  );
}
