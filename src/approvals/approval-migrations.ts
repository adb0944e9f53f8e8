import type { MigrationSet } from '../audit/database';

/**
 * The approvals table. The audit log holds every event; this table holds the current state that the
 * compare-and-set updates of SqliteApprovalStore work on. Append migrations; never edit one that shipped.
 */
export const approvalMigrations: MigrationSet = {
  component: 'approvals',
  migrations: [
    {
      version: 1,
      name: 'create approvals',
      up(db) {
        db.exec(`
          CREATE TABLE approvals (
            id                  TEXT    PRIMARY KEY,
            binding             TEXT    NOT NULL,   -- sha256 of requester, invocation and payload hash
            status              TEXT    NOT NULL,   -- pending, approved, denied, expired, used_up
            created_ms          INTEGER NOT NULL,
            expires_ms          INTEGER NOT NULL,
            request_decision_id TEXT    NOT NULL,
            requester_subject   TEXT    NOT NULL,
            requester_issuer    TEXT    NOT NULL,
            requester_actor     TEXT,
            invocation          TEXT    NOT NULL,   -- JSON: model, provider, operation, purpose, tools
            findings            TEXT    NOT NULL,   -- JSON: class -> count
            reasons             TEXT    NOT NULL,   -- JSON: the policy's reasons
            approvers           TEXT,
            ttl_seconds         INTEGER NOT NULL,
            max_uses            INTEGER NOT NULL,
            uses_left           INTEGER NOT NULL,
            decided_by          TEXT,
            decided_ms          INTEGER,
            comment             TEXT
          ) STRICT;
          -- One pending approval per binding: asking again returns it instead of a new one.
          CREATE UNIQUE INDEX approvals_pending ON approvals (binding) WHERE status = 'pending';
          CREATE INDEX approvals_status ON approvals (status, created_ms);
          CREATE INDEX approvals_live ON approvals (expires_ms) WHERE status IN ('pending', 'approved');
        `);
      },
    },
    {
      version: 2,
      name: 'pending approvals by requester, and the context approvers see',
      up(db) {
        // The index is counted before each new pending approval (approvals.max_pending_per_subject).
        // Approvals made before the context was kept show none.
        db.exec(`
          CREATE INDEX approvals_requester_pending ON approvals (requester_issuer, requester_subject)
            WHERE status = 'pending';
          ALTER TABLE approvals ADD COLUMN context TEXT NOT NULL DEFAULT '{}';  -- JSON, screened and redacted
        `);
      },
    },
    {
      version: 3,
      name: 'the prior actors of the requester',
      up(db) {
        // Nested act claims of the requesting token: none of them may decide the request. Older rows had none kept.
        db.exec(
          `ALTER TABLE approvals ADD COLUMN requester_prior_actors TEXT NOT NULL DEFAULT '[]';  -- JSON array`,
        );
      },
    },
  ],
};
