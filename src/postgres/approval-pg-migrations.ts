import type { PgMigrationSet } from './pg-migrations';

/**
 * The approvals table on PostgreSQL: the same columns as the SQLite one
 * (src/approvals/approval-migrations.ts). Every replica reads and compare-and-sets the same rows, so
 * an approval granted through one replica is spent through any. Append migrations; never edit one that shipped.
 */
export const approvalPgMigrations: PgMigrationSet = {
  component: 'approvals',
  migrations: [
    {
      version: 1,
      name: 'create approvals',
      sql: `
        CREATE TABLE approvals (
          id                  text    PRIMARY KEY,
          binding             text    NOT NULL,   -- sha256 of requester, invocation and payload hash
          status              text    NOT NULL,   -- pending, approved, denied, expired, used_up
          created_ms          bigint  NOT NULL,
          expires_ms          bigint  NOT NULL,
          request_decision_id text    NOT NULL,
          requester_subject   text    NOT NULL,
          requester_issuer    text    NOT NULL,
          requester_actor     text,
          invocation          text    NOT NULL,   -- JSON: model, provider, operation, purpose, tools
          findings            text    NOT NULL,   -- JSON: class -> count
          reasons             text    NOT NULL,   -- JSON: the policy's reasons
          approvers           text,
          ttl_seconds         integer NOT NULL,
          max_uses            integer NOT NULL,
          uses_left           integer NOT NULL,
          decided_by          text,
          decided_ms          bigint,
          comment             text
        );
        -- One pending approval per binding, across replicas: asking again returns it instead of a new one.
        CREATE UNIQUE INDEX approvals_pending ON approvals (binding) WHERE status = 'pending';
        CREATE INDEX approvals_status ON approvals (status, created_ms);
        CREATE INDEX approvals_live ON approvals (expires_ms) WHERE status IN ('pending', 'approved');`,
    },
    {
      version: 2,
      name: 'pending approvals by requester, and the context approvers see',
      // The index is counted before each new pending approval (approvals.max_pending_per_subject). Hashed: a
      // btree entry holds 2,704 bytes, and a subject is the token's to choose.
      sql: `
        CREATE INDEX approvals_requester_pending ON approvals (md5(requester_issuer || ' ' || requester_subject))
          WHERE status = 'pending';
        ALTER TABLE approvals ADD COLUMN context text NOT NULL DEFAULT '{}';`,
    },
    {
      version: 3,
      name: 'the prior actors of the requester',
      // Nested act claims of the requesting token: none of them may decide the request. Older rows had none kept.
      sql: `ALTER TABLE approvals ADD COLUMN requester_prior_actors text NOT NULL DEFAULT '[]';`,
    },
  ],
};
