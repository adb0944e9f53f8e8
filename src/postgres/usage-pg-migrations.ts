import type { PgMigrationSet } from './pg-migrations';

/**
 * The usage ledger's PostgreSQL schema. Unlike SQLite, where one process derives reservations from
 * its audit log, replicas share reservations in a table: each must see the others' before deciding.
 */
export const usagePgMigrations: PgMigrationSet = {
  component: 'usage',
  migrations: [
    {
      version: 1,
      name: 'create usage reports and the reservations replicas share',
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
        -- Budgets across replicas: every allowed decision's reservation, written under the subject's
        -- advisory lock before the decision is answered (see PgUsageTracker); a report replaces tokens.
        CREATE TABLE usage_reservations (
          decision_id text   PRIMARY KEY,
          subject     text   NOT NULL,
          model       text   NOT NULL,
          tokens      double precision NOT NULL,
          at_ms       bigint NOT NULL
        );
        CREATE INDEX usage_reservations_subject ON usage_reservations (subject, at_ms);`,
    },
  ],
};
