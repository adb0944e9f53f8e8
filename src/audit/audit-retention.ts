import type { PruneResult } from './audit-store';
import type { Db } from './database';
import type { ChainHead } from './hash-chain';

/** Returns the latest prune anchor: the last pruned record, after which the chain continues. */
export function latestAnchor(db: Db): ChainHead | null {
  return (
    (db.prepare('SELECT seq, hash FROM audit_prunes ORDER BY seq DESC LIMIT 1').get() as
      ChainHead | undefined) ?? null
  );
}

/**
 * Deletes, in one transaction, the longest prefix of the chain whose records are all older than
 * `beforeMs`, and records an anchor (seq and hash of the last deleted record) that verify starts
 * from. A prefix, not "every old record": timestamps are arrival times and commits can land slightly
 * out of order, so an old record just after a newer one is kept until the next prune rather than
 * punching a hole in the chain.
 */
export function pruneBefore(db: Db, beforeMs: number): PruneResult {
  const run = db.transaction((): PruneResult => {
    const anchor = latestAnchor(db);
    const firstKept = db
      .prepare('SELECT min(seq) AS seq FROM audit_records WHERE ts_ms >= ?')
      .get(beforeMs) as {
      seq: number | null;
    };
    const cut =
      firstKept.seq !== null
        ? firstKept.seq - 1
        : (db.prepare('SELECT max(seq) AS seq FROM audit_records').get() as { seq: number | null }).seq;
    const last =
      cut === null
        ? undefined
        : (db
            .prepare('SELECT seq, hash FROM audit_records WHERE seq <= ? ORDER BY seq DESC LIMIT 1')
            .get(cut) as ChainHead | undefined);
    if (!last || (anchor && last.seq <= anchor.seq)) return { deleted: 0, anchor };
    db.prepare('DELETE FROM audit_reasons WHERE seq <= ?').run(last.seq);
    const deleted = db.prepare('DELETE FROM audit_records WHERE seq <= ?').run(last.seq).changes;
    // A checkpoint at the anchor itself is kept: verify checks it against the anchor hash.
    db.prepare('DELETE FROM audit_checkpoints WHERE seq < ?').run(last.seq);
    db.prepare(
      'INSERT INTO audit_prunes (seq, hash, before_ts, deleted, pruned_at) VALUES (?, ?, ?, ?, ?)',
    ).run(last.seq, last.hash, new Date(beforeMs).toISOString(), deleted, new Date().toISOString());
    return { deleted, anchor: last };
  });
  return run.immediate();
}
