import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { auditMigrations } from '../audit/audit-migrations';
import { openDatabase, type Db } from '../audit/database';
import { SqliteAuditStore } from '../audit/sqlite-audit-store';
import { withClient } from './pg-pool';
import type { AuditRecordV1 } from '../audit/audit-record';
import { RECORD_COLUMN_NAMES, recordColumns, type RecordColumns } from '../audit/record-columns';
import { mayBeAltered, restoreColumnText } from './pg-column-text';

const PAGE = 5000;

// Every column copied verbatim, but for what PostgreSQL cannot hold as the record has it (pgColumnText): the
// verifier also checks that derived columns agree with the record.
interface Table {
  name: string;
  columns: string[];
  /** The primary key, first columns of `columns`: pages are read in its order. */
  keys: string[];
  /** Returns the row as SQLite holds it. */
  restore?: (row: unknown[]) => unknown[];
}

const RECORD_TABLE_COLUMNS = ['seq', ...RECORD_COLUMN_NAMES, 'record', 'prev_hash', 'hash'];
const RECORD_AT = RECORD_TABLE_COLUMNS.indexOf('record');

const TABLES: readonly Table[] = [
  { name: 'audit_records', columns: RECORD_TABLE_COLUMNS, keys: ['seq'], restore: restoreRecordColumns },
  { name: 'audit_reasons', columns: ['seq', 'reason', 'ts_ms'], keys: ['seq', 'reason'] },
  { name: 'audit_checkpoints', columns: ['seq', 'hash', 'signed_at', 'key_id', 'signature'], keys: ['seq'] },
  {
    name: 'audit_prunes',
    columns: ['id', 'seq', 'hash', 'before_ts', 'deleted', 'pruned_at'],
    keys: ['id'],
  },
];

/**
 * Runs `work` on a read-only SqliteAuditStore holding an exact copy of the PostgreSQL audit tables,
 * taken in one REPEATABLE READ snapshot (appends committed meanwhile are not half-seen). verify and
 * export thereby run the one verifier that SQLite logs use, with the same tamper classification;
 * the copy costs a temporary file the size of the log, removed afterwards.
 */
export async function withSqliteSnapshot<T>(
  pool: Pool,
  logger: Logger,
  work: (store: SqliteAuditStore) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-snapshot-'));
  const file = join(dir, 'audit.db');
  try {
    const db = openDatabase(file, [auditMigrations], { synchronous: 'NORMAL', logger });
    try {
      await withClient(pool, async (client) => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          for (const table of TABLES) await copyTable(client, db, table);
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
      });
    } finally {
      db.close();
    }
    const store = SqliteAuditStore.open({ path: file, readonly: true, logger });
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Keyset pages on the primary key: each page is an index range scan, whatever the log's size.
async function copyTable(client: PoolClient, db: Db, table: Table): Promise<void> {
  const list = table.columns.join(', ');
  const insert = db.prepare(
    `INSERT INTO ${table.name} (${list}) VALUES (${table.columns.map(() => '?').join(', ')})`,
  );
  const insertPage = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(...row);
  });
  const keys = `(${table.keys.join(', ')})`;
  const after = `(${table.keys.map((_, i) => `$${i + 1}`).join(', ')})`;
  let last: unknown[] | null = null;
  for (;;) {
    const where = last ? ` WHERE ${keys} > ${after}` : '';
    const result: { rows: unknown[][] } = await client.query<unknown[]>({
      text: `SELECT ${list} FROM ${table.name}${where} ORDER BY ${keys} LIMIT ${PAGE}`,
      values: last ?? [],
      rowMode: 'array',
    });
    insertPage(table.restore ? result.rows.map(table.restore) : result.rows);
    if (result.rows.length < PAGE) return;
    last = result.rows[result.rows.length - 1]!.slice(0, table.keys.length);
  }
}

// Most rows hold every column as the record has it; only those that may not have their record read.
function restoreRecordColumns(row: unknown[]): unknown[] {
  const columns = row.slice(1, RECORD_AT);
  if (!columns.some(mayBeAltered)) return row;
  let recorded: RecordColumns;
  try {
    recorded = recordColumns(JSON.parse(row[RECORD_AT] as string) as AuditRecordV1);
  } catch {
    return row; // the verifier reports the record itself
  }
  return [
    row[0],
    ...RECORD_COLUMN_NAMES.map((name, i) => restoreColumnText(columns[i], recorded[name])),
    ...row.slice(RECORD_AT),
  ];
}
