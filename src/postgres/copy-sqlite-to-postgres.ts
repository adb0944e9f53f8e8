import type { Pool, PoolClient } from 'pg';
import type { Db } from '../audit/database';
import { withClient } from './pg-pool';
import { APPROVAL_COLUMNS } from '../approvals/approval-row';
import { CHAIN_LOCK } from './pg-chain';
import { lastDayReservations } from '../usage/usage-ledger';
import { RECORD_COLUMN_NAMES } from '../audit/record-columns';
import { pgColumnText } from './pg-column-text';

/**
 * The tables a log is made of, every column, in key order: copied verbatim, chain and checkpoints
 * included. `optional` tables are copied when the source has them (older files may not).
 */
const TABLES: readonly {
  name: string;
  columns: string[];
  order: string;
  optional?: boolean;
  /** The columns held as pgColumnText of SQLite's value. */
  keys?: string[];
  /** Columns a later version added: a file last served before it lacks them, and PostgreSQL's default fills them. */
  later?: string[];
}[] = [
  {
    name: 'audit_records',
    columns: ['seq', ...RECORD_COLUMN_NAMES, 'record', 'prev_hash', 'hash'],
    order: 'seq',
    keys: [...RECORD_COLUMN_NAMES],
  },
  { name: 'audit_reasons', columns: ['seq', 'reason', 'ts_ms'], order: 'seq, reason', keys: ['reason'] },
  { name: 'audit_checkpoints', columns: ['seq', 'hash', 'signed_at', 'key_id', 'signature'], order: 'seq' },
  { name: 'audit_prunes', columns: ['seq', 'hash', 'before_ts', 'deleted', 'pruned_at'], order: 'id' },
  {
    name: 'usage_reports',
    columns: ['decision_id', 'subject', 'input_tokens', 'output_tokens', 'cost_usd', 'reported_ms'],
    order: 'decision_id',
    optional: true,
    keys: ['subject'],
  },
  // Pending and granted approvals stay usable after the move; their events are already in the chain.
  {
    name: 'approvals',
    columns: [...APPROVAL_COLUMNS],
    order: 'id',
    optional: true,
    later: ['context', 'requester_prior_actors'],
  },
];
const ROWS_PER_INSERT = 500;

/** Rows copied per table. */
export type CopyCounts = Record<string, number>;

/**
 * Copies an SQLite audit log (and its usage reports and approvals) into an empty PostgreSQL database whose schema
 * is current, in one transaction holding the chain lock: either all of it lands or nothing does, and
 * no replica appends meanwhile. Throws if the target already holds audit records.
 */
export async function copySqliteToPostgres(
  source: Db,
  pool: Pool,
  onProgress?: (rows: number) => void,
): Promise<CopyCounts> {
  let copied = 0;
  const progress = (rows: number) => {
    copied += rows;
    onProgress?.(copied);
  };
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
        counts[table.name] = await copyTable(source, client, table, progress);
      }
      // A file without usage tables predates budgets: there is nothing to carry over.
      if (present.get('usage_reports')) {
        counts.usage_reservations = await copyReservations(source, client, Date.now(), progress);
      }
      await client.query('COMMIT');
      return counts;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

// On SQLite a budget is derived from the log; on PostgreSQL replicas share a table of reservations.
// The last day's allowed decisions become those rows, so no subject's day starts again at zero.
function copyReservations(
  source: Db,
  client: PoolClient,
  nowMs: number,
  progress: (rows: number) => void,
): Promise<number> {
  const rows = function* () {
    for (const r of lastDayReservations(source, nowMs))
      yield [r.decisionId, pgColumnText(r.subject), pgColumnText(r.model), r.tokens, r.atMs, r.held];
  };
  return insertRows(
    client,
    'usage_reservations',
    ['decision_id', 'subject', 'model', 'tokens', 'at_ms', 'held'],
    rows(),
    progress,
  );
}

function copyTable(
  source: Db,
  client: PoolClient,
  table: (typeof TABLES)[number],
  progress: (rows: number) => void,
): Promise<number> {
  const columns = presentColumns(source, table);
  const rows = source
    .prepare(`SELECT ${columns.join(', ')} FROM ${table.name} ORDER BY ${table.order}`)
    .raw(true)
    .iterate() as IterableIterator<unknown[]>;
  const keys = new Set((table.keys ?? []).map((name) => columns.indexOf(name)));
  const held = function* () {
    for (const row of rows) {
      yield row.map((value, i) => (keys.has(i) ? pgColumnText(value as string | number | null) : value));
    }
  };
  return insertRows(client, table.name, columns, keys.size > 0 ? held() : rows, progress);
}

// The table's columns less those a later version added and this file does not have (the copy opens it read-only,
// so it is not migrated first). Any other missing column is an error, as it was.
function presentColumns(source: Db, table: (typeof TABLES)[number]): string[] {
  if (!table.later) return table.columns;
  const have = new Set(
    (source.prepare(`PRAGMA table_info(${table.name})`).all() as { name: string }[]).map((c) => c.name),
  );
  return table.columns.filter((c) => have.has(c) || !table.later!.includes(c));
}

// Inserts rows in multi-row statements of ROWS_PER_INSERT; returns how many.
async function insertRows(
  client: PoolClient,
  table: string,
  columns: string[],
  rows: Iterable<unknown[]>,
  progress: (rows: number) => void,
): Promise<number> {
  const list = columns.join(', ');
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const width = columns.length;
    const tuples = batch.map((_, r) => `(${columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${list}) VALUES ${tuples.join(', ')}`, batch.flat());
    copied += batch.length;
    progress(batch.length);
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length === ROWS_PER_INSERT) await flush();
  }
  await flush();
  return copied;
}
