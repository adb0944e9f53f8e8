import type { VerifyBroken } from './audit-store';
import type { Db } from './database';
import { GENESIS_HASH, type ChainHead } from './hash-chain';
import { derivedDisagreement, hashesAt, type ChainRow } from './chain-row';

/** What the walk saw at the first bad row. */
export interface BreakContext {
  row: ChainRow;
  /** The last good link: the row should have seq prev.seq + 1 and prev_hash prev.hash. */
  prev: ChainHead;
  /** Records checked before the break. */
  checked: number;
}

/**
 * Returns the first break, classified. Detection is exact (the walk found a row that fails); this
 * only explains it, using the fact that an untouched row still hashes correctly at the seq it was
 * written at and still names its original predecessor in prev_hash.
 */
export function classifyBreak(db: Db, context: BreakContext): VerifyBroken {
  const { row, prev, checked } = context;
  const broken = breakReporter(checked);
  const expected = prev.seq + 1;

  if (row.seq > expected) {
    const range = row.seq - 1 === expected ? `seq ${expected} is` : `seq ${expected} to ${row.seq - 1} are`;
    return broken('deleted', expected, null, `records are missing: ${range} not in the log`);
  }

  if (!hashesAt(row, row.seq)) {
    const original = originalSeq(db, row);
    if (original === null) {
      // Not a moved record. If the next record was shifted up past it, this one was slipped in.
      const next = rowAt(db, row.seq + 1);
      if (next && !hashesAt(next, next.seq) && hashesAt(next, row.seq)) {
        return broken(
          'inserted',
          row.seq,
          row.decision_id,
          `seq ${row.seq} is not part of the chain; later records were shifted to make room`,
        );
      }
      return broken(
        'modified',
        row.seq,
        row.decision_id,
        `the record at seq ${row.seq} no longer matches its hash`,
      );
    }
    if (original < row.seq) {
      const extra = rowAt(db, original);
      return broken(
        'inserted',
        original,
        extra?.decision_id ?? null,
        `records were inserted at seq ${original}${row.seq - 1 > original ? ` to ${row.seq - 1}` : ''}: the record hashed at seq ${original} now sits at seq ${row.seq}`,
      );
    }
    const displaced = rowsNamingPredecessor(db, prev.hash).find(
      (other) => other.seq !== row.seq && hashesAt(other, expected),
    );
    if (displaced) {
      return broken(
        'reordered',
        row.seq,
        row.decision_id,
        `records were reordered: seq ${row.seq} holds the record hashed at seq ${original}, and the record hashed at seq ${expected} sits at seq ${displaced.seq}`,
      );
    }
    return broken(
      'deleted',
      row.seq,
      null,
      `the record at seq ${row.seq} was deleted and later records renumbered: seq ${row.seq} holds the record hashed at seq ${original}`,
    );
  }

  if (row.prev_hash !== prev.hash) {
    // The row itself is intact where it is, so what precedes it is not what it was chained to.
    if (prev.seq === 0 || rowAt(db, prev.seq) === undefined) {
      return broken(
        'modified',
        row.seq,
        row.decision_id,
        `seq ${row.seq} does not chain to the start of the log (genesis or prune anchor at seq ${prev.seq})`,
      );
    }
    const before = rowAt(db, prev.seq);
    return broken(
      'modified',
      prev.seq,
      before?.decision_id ?? null,
      `the record at seq ${prev.seq} was replaced (its hash was recomputed, but seq ${row.seq} was chained to a different record)`,
    );
  }

  const disagreement = derivedDisagreement(row) ?? 'it disagrees with its hashed record';
  return broken(
    'modified',
    row.seq,
    row.decision_id,
    `the record at seq ${row.seq} was modified: ${disagreement}`,
  );
}

// The seq a row was hashed at, if it is intact but sits elsewhere now: try the neighbours, then
// the position after the record it names as its predecessor. Null if none fits (content changed).
function originalSeq(db: Db, row: ChainRow): number | null {
  const candidates = new Set([row.seq - 1, row.seq + 1]);
  const predecessor = db
    .prepare('SELECT seq FROM audit_records WHERE hash = ? LIMIT 1')
    .get(row.prev_hash) as { seq: number } | undefined;
  if (predecessor) candidates.add(predecessor.seq + 1);
  const anchor = db.prepare('SELECT seq FROM audit_prunes WHERE hash = ? LIMIT 1').get(row.prev_hash) as
    { seq: number } | undefined;
  if (anchor) candidates.add(anchor.seq + 1);
  if (row.prev_hash === GENESIS_HASH) candidates.add(1);
  candidates.delete(row.seq);
  for (const seq of candidates) if (seq > 0 && hashesAt(row, seq)) return seq;
  return null;
}

function rowAt(db: Db, seq: number): ChainRow | undefined {
  return db.prepare('SELECT * FROM audit_records WHERE seq = ?').get(seq) as ChainRow | undefined;
}

function rowsNamingPredecessor(db: Db, hash: string): ChainRow[] {
  return db.prepare('SELECT * FROM audit_records WHERE prev_hash = ? LIMIT 16').all(hash) as ChainRow[];
}

/** Returns a function that builds the VerifyBroken result of a chain checked up to `checked` records. */
export function breakReporter(checked: number) {
  return (
    problem: VerifyBroken['problem'],
    seq: number,
    decisionId: string | null,
    message: string,
  ): VerifyBroken => ({
    ok: false,
    records_checked: checked,
    first_bad: { seq, decision_id: decisionId },
    problem,
    message,
  });
}
