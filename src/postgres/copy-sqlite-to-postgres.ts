import type { Pool, PoolClient } from 'pg';
import type { Db } from '../audit/database';
import { withClient } from './pg-pool';
import { APPROVAL_COLUMNS } from '../approvals/approval-row';
import { CHAIN_LOCK } from './pg-chain';

/**
 * The tables a log is made of, every column, in key order: copied verbatim, chain and checkpoints
 * included. `optional` tables are copied when the source has them (older files may not).
 */
const TABLES: readonly { name: string; columns: string[]; order: string; optional?: boolean }[] = [
  {
    name: 'audit_records',
    columns: [
      'seq',
      'decision_id',
      'ts_ms',
      'path',
      'outcome',
      'status',
      'subject',
      'issuer',
      'actor',
      'token_id',
      'model',
      'provider',
      'operation',
      'purpose',
      'record',
      'prev_hash',
      'hash',
    ],
    order: 'seq',
  },
  { name: 'audit_reasons', columns: ['seq', 'reason', 'ts_ms'], order: 'seq, reason' },
  { name: 'audit_checkpoints', columns: ['seq', 'hash', 'signed_at', 'key_id', 'signature'], order: 'seq' },
  { name: 'audit_prunes', columns: ['seq', 'hash', 'before_ts', 'deleted', 'pruned_at'], order: 'id' },
  {
    name: 'usage_reports',
    columns: ['decision_id', 'subject', 'input_tokens', 'output_tokens', 'cost_usd', 'reported_ms'],
    order: 'decision_id',
    optional: true,
  },
  // Pending and granted approvals stay usable after the move; their events are already in the chain.
  { name: 'approvals', columns: [...APPROVAL_COLUMNS], order: 'id', optional: true },
];
const ROWS_PER_INSERT = 500;

/** Rows copied per table. */
export type CopyCounts = Record<string, number>;

/**
 * Copies an SQLite audit log (and its usage reports and approvals) into an empty PostgreSQL database whose schema
 * is current, in one transaction holding the chain lock: either all of it lands or nothing does, and
 * no replica appends meanwhile. Throws if the target already holds audit records.
 */
export async function copySqliteToPostgres(source: Db, pool: Pool): Promise<CopyCounts> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_records');
      if (rows[0]!.n > 0) {
        throw new Error(
          `the target already holds ${rows[0]!.n} audit records; migrate into an empty database`,
        );
      }
      const counts: CopyCounts = {};
      const present = source.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
      for (const table of TABLES) {
        if (table.optional && !present.get(table.name)) continue;
        counts[table.name] = await copyTable(source, client, table);
      }
      await client.query('COMMIT');
      return counts;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

async function copyTable(
  source: Db,
  client: PoolClient,
  table: { name: string; columns: string[]; order: string },
): Promise<number> {
  const list = table.columns.join(', ');
  const rows = source
    .prepare(`SELECT ${list} FROM ${table.name} ORDER BY ${table.order}`)
    .raw(true)
    .iterate() as IterableIterator<unknown[]>;
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const width = table.columns.length;
    const tuples = batch.map(
      (_, r) => `(${table.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
    );
    await client.query(`INSERT INTO ${table.name} (${list}) VALUES ${tuples.join(', ')}`, batch.flat());
    copied += batch.length;
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length === ROWS_PER_INSERT) await flush();
  }
  await flush();
  return copied;
}
