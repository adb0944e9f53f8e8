import type { PgMigrationSet } from './pg-migrations';

/**
 * The DPoP replay cache every replica shares on PostgreSQL (PgDpopReplayCache). SQLite has no counterpart: one
 * process serves an SQLite audit log, and its cache in memory is the whole cache. Append migrations; never edit one
 * that shipped.
 */
export const dpopPgMigrations: PgMigrationSet = {
  component: 'dpop',
  migrations: [
    {
      version: 1,
      name: 'create the DPoP proofs the replicas have accepted, each until its window ends',
      // `key` is the hash DpopChecker remembers (key thumbprint and jti), never the proof. `until` is set by the
      // database's clock, the one clock every replica shares; the index serves the sweep, oldest first.
      sql: `
        CREATE TABLE dpop_proofs (
          key   text        PRIMARY KEY,
          until timestamptz NOT NULL
        );
        CREATE INDEX dpop_proofs_until ON dpop_proofs (until);`,
    },
  ],
};
