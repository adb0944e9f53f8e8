import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { DatabaseVersionError } from '../audit/audit-errors';
import { withClient } from './pg-pool';

/** One schema change, run inside the transaction that records it. */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** The ordered migrations of one component (audit, usage, ...), versions 1, 2, 3... */
export interface PgMigrationSet {
  component: string;
  migrations: readonly PgMigration[];
}

// Any constant works as long as nothing else on the database uses it; "MGMI" in ASCII.
const MIGRATION_LOCK = 0x4d474d49;

/**
 * Applies every pending migration in one transaction, holding a transaction-level advisory lock
 * so replicas starting together apply each migration exactly once (the others wait, then find it
 * applied). Throws DatabaseVersionError if the database has migrations this build does not know.
 */
export async function migratePg(pool: Pool, sets: readonly PgMigrationSet[], logger: Logger): Promise<void> {
  await withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS modelgate_migrations (
        component  text    NOT NULL,
        version    integer NOT NULL,
        name       text    NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version))`);
      for (const set of sets) await migrateSet(client, set, logger);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

async function migrateSet(client: PoolClient, set: PgMigrationSet, logger: Logger): Promise<void> {
  const { rows } = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM modelgate_migrations WHERE component = $1',
    [set.component],
  );
  const current = rows[0]?.version ?? 0;
  if (current > set.migrations.length) {
    throw new DatabaseVersionError(
      'PostgreSQL',
      `the ${set.component} schema is at version ${current}, newer than this modelgate ` +
        `(${set.migrations.length}); upgrade modelgate`,
    );
  }
  for (const migration of set.migrations.slice(current)) {
    await client.query(migration.sql);
    await client.query('INSERT INTO modelgate_migrations (component, version, name) VALUES ($1, $2, $3)', [
      set.component,
      migration.version,
      migration.name,
    ]);
    logger.info({ component: set.component, version: migration.version }, `migrated: ${migration.name}`);
  }
}
