import type { PoolClient } from 'pg';
import type { PruneResult } from '../audit/audit-store';
import { GENESIS_HEAD, type ChainHead } from '../audit/hash-chain';

// The one lock every replica's append transaction takes before reading the chain head: appends of
// all replicas are serialised into one global chain. "MGAC" in ASCII.
export const CHAIN_LOCK = 0x4d474143;

/** Returns the head the next record chains to: the last record, else the prune anchor, else genesis. */
export async function chainHead(client: PoolClient): Promise<ChainHead> {
  const { rows } = await client.query<ChainHead>(
    `SELECT seq, hash FROM (
       (SELECT seq, hash, 0 AS rank FROM audit_records ORDER BY seq DESC LIMIT 1)
       UNION ALL (SELECT seq, hash, 1 FROM audit_prunes ORDER BY seq DESC LIMIT 1)) AS heads
     ORDER BY rank LIMIT 1`,
  );
  return rows[0] ?? GENESIS_HEAD;
}

/** Deletes the longest prefix of the chain older than `beforeMs` and anchors the rest, as pruneBefore in SQLite. */
export async function pruneInLock(client: PoolClient, beforeMs: number): Promise<PruneResult> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  const anchors = await client.query<ChainHead>(
    'SELECT seq, hash FROM audit_prunes ORDER BY seq DESC LIMIT 1',
  );
  const anchor = anchors.rows[0] ?? null;
  const firstKept = await client.query<{ seq: number | null }>(
    'SELECT min(seq) AS seq FROM audit_records WHERE ts_ms >= $1',
    [beforeMs],
  );
  const kept = firstKept.rows[0]?.seq ?? null;
  const lastRows = await client.query<ChainHead>(
    kept === null
      ? 'SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1'
      : 'SELECT seq, hash FROM audit_records WHERE seq < $1 ORDER BY seq DESC LIMIT 1',
    kept === null ? [] : [kept],
  );
  const last = lastRows.rows[0];
  if (!last || (anchor && last.seq <= anchor.seq)) return { deleted: 0, anchor };
  await client.query('DELETE FROM audit_reasons WHERE seq <= $1', [last.seq]);
  const deleted = (await client.query('DELETE FROM audit_records WHERE seq <= $1', [last.seq])).rowCount ?? 0;
  await client.query('DELETE FROM audit_checkpoints WHERE seq < $1', [last.seq]);
  await client.query(
    'INSERT INTO audit_prunes (seq, hash, before_ts, deleted, pruned_at) VALUES ($1, $2, $3, $4, $5)',
    [last.seq, last.hash, new Date(beforeMs).toISOString(), deleted, new Date().toISOString()],
  );
  return { deleted, anchor: { seq: last.seq, hash: last.hash } };
}
