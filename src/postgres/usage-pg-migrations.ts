import type { PgMigrationSet } from './pg-migrations';

/**
 * The usage ledger's PostgreSQL schema, as in SQLite (src/usage/usage-migrations.ts): reservations
 * are derived from the allowed decisions of the audit log; only reports need a table.
 */
export const usagePgMigrations: PgMigrationSet = {
  component: 'usage',
  migrations: [
    {
      version: 1,
      name: 'create usage reports, and index allowed decisions for the start-up rebuild',
      sql: `
        CREATE TABLE usage_reports (
          decision_id   text    PRIMARY KEY,
          subject       text    NOT NULL,
          input_tokens  bigint  NOT NULL,
          output_tokens bigint  NOT NULL,
          cost_usd      double precision,
          reported_ms   bigint  NOT NULL
        );
        CREATE INDEX usage_reports_subject ON usage_reports (subject, reported_ms);
        CREATE INDEX usage_allowed_decisions ON audit_records (ts_ms) WHERE outcome = 'allowed';`,
    },
  ],
};
