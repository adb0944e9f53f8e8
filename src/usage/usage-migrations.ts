import type { MigrationSet } from '../audit/database';

/**
 * The usage ledger's schema. Reservations are not stored: they are derived from the allowed
 * decisions in the audit log, so usage can never disagree with the record of what was allowed.
 * Only reports, which replace reservations, need a table. Append migrations; never edit one.
 */
export const usageMigrations: MigrationSet = {
  component: 'usage',
  migrations: [
    {
      version: 1,
      name: 'create usage reports',
      up(db) {
        db.exec(`
          CREATE TABLE usage_reports (
            decision_id   TEXT    PRIMARY KEY,   -- one report per decision: a second one is a conflict
            subject       TEXT    NOT NULL,
            input_tokens  INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost_usd      REAL,
            reported_ms   INTEGER NOT NULL
          ) STRICT;
        `);
      },
    },
  ],
};
