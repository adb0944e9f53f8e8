import type { MigrationSet } from '../audit/database';

// These are shared by migrations 2 and 4 and the rebuild query, whose expressions must match the
// index's exactly for SQLite to read them from it. Changing one needs a new migration.

/** The index the start-up rebuild reads (see migration 2); queries name it so the plan cannot drift. */
export const RESTORE_INDEX = 'usage_allowed_decisions';
/** An allowed decision's effective max_tokens, as stored in its audit record (and in RESTORE_INDEX). */
export const RESERVED_MAX_TOKENS = `json_extract(record, '$.max_tokens')`;
/** The input_tokens its invocation declared, as stored in its audit record (and in RESTORE_INDEX). */
export const RESERVED_INPUT_TOKENS = `json_extract(record, '$.input.invocation.input_tokens')`;
/** The characters of its payload, as the policy saw them (and in RESTORE_INDEX since migration 4). */
export const RESERVED_PAYLOAD_CHARS = `json_extract(record, '$.input.payload.chars')`;

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
    {
      version: 2,
      name: 'index reports by subject, and allowed decisions for the start-up rebuild',
      up(db) {
        // GET /v1/usage sums a subject's reports of the last day on every call.
        db.exec('CREATE INDEX usage_reports_subject ON usage_reports (subject, reported_ms);');
        // The rebuild at start-up reads a day of allowed decisions. From the table that means reading
        // every record's JSON (about 1.5 kB each); from this partial index, which carries the columns and
        // the two JSON figures it needs, about 150 bytes each: a million decisions restore in seconds.
        // Each append pays for two json_extract calls on a record it has just written.
        db.exec(`CREATE INDEX ${RESTORE_INDEX} ON audit_records
                   (ts_ms, subject, model, path, decision_id, ${RESERVED_MAX_TOKENS}, ${RESERVED_INPUT_TOKENS})
                 WHERE outcome = 'allowed';`);
      },
    },
    {
      version: 3,
      name: 'mark reports that may lower a reservation (trusted reporters) apart from self-reports',
      up(db) {
        // Reports written before this came from the only reporter there was, and settled exactly.
        db.exec('ALTER TABLE usage_reports ADD COLUMN settles_exactly INTEGER NOT NULL DEFAULT 1;');
      },
    },
    {
      version: 4,
      name: 'carry the payload size of allowed decisions in the start-up rebuild index',
      up(db) {
        // A reservation counts at least a token per four characters of payload (src/usage/prompt-tokens.ts), so
        // the rebuild needs the payload's size too. Rebuilding the index reads a day's worth of records and
        // more (every allowed decision in the file): once, at the upgrade.
        db.exec(`DROP INDEX ${RESTORE_INDEX};
                 CREATE INDEX ${RESTORE_INDEX} ON audit_records
                   (ts_ms, subject, model, path, decision_id, ${RESERVED_MAX_TOKENS}, ${RESERVED_INPUT_TOKENS},
                    ${RESERVED_PAYLOAD_CHARS})
                 WHERE outcome = 'allowed';`);
      },
    },
  ],
};
