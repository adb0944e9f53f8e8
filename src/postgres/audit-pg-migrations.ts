import type { PgMigrationSet } from './pg-migrations';

/**
 * The audit log's PostgreSQL schema: the same tables and columns as the SQLite one
 * (src/audit/audit-migrations.ts), so a log moves between them row for row and one verifier
 * checks both. Only ever append migrations here; never edit one that shipped.
 */
export const auditPgMigrations: PgMigrationSet = {
  component: 'audit',
  migrations: [
    {
      version: 1,
      name: 'create the audit log: records, reason index, signed checkpoints, prune anchors',
      sql: `
        CREATE TABLE audit_records (
          seq         bigint  PRIMARY KEY,   -- position in the one global hash chain, 1, 2, 3...
          decision_id text    NOT NULL UNIQUE,
          ts_ms       bigint  NOT NULL,
          path        text    NOT NULL,
          outcome     text    NOT NULL,
          status      integer NOT NULL,
          subject     text,
          issuer      text,
          actor       text,
          token_id    text,
          model       text,
          provider    text,
          operation   text,
          purpose     text,
          record      text    NOT NULL,      -- canonical JSON of the AuditRecordV1, hashed as is
          prev_hash   text    NOT NULL,
          hash        text    NOT NULL
        );
        CREATE INDEX audit_records_ts ON audit_records (ts_ms, seq);
        CREATE INDEX audit_records_subject ON audit_records (subject, ts_ms, seq);
        CREATE INDEX audit_records_model ON audit_records (model, ts_ms, seq);
        CREATE INDEX audit_records_outcome ON audit_records (outcome, ts_ms, seq);

        CREATE TABLE audit_reasons (
          seq    bigint NOT NULL,
          reason text   NOT NULL,
          ts_ms  bigint NOT NULL,
          PRIMARY KEY (seq, reason)
        );
        CREATE INDEX audit_reasons_reason ON audit_reasons (reason, ts_ms, seq);

        CREATE TABLE audit_checkpoints (
          seq       bigint PRIMARY KEY,
          hash      text   NOT NULL,
          signed_at text   NOT NULL,
          key_id    text   NOT NULL,
          signature text   NOT NULL
        );

        CREATE TABLE audit_prunes (
          id        bigserial PRIMARY KEY,
          seq       bigint NOT NULL,
          hash      text   NOT NULL,
          before_ts text   NOT NULL,
          deleted   bigint NOT NULL,
          pruned_at text   NOT NULL
        );`,
    },
    {
      version: 2,
      name: 'index decision lineage: the parent each decision names',
      // As SQLite's migration 2: an expression index over the hashed record (the lineage links live
      // in input.lineage), partial so decisions without a parent take no entry. PgLineageSource
      // queries the same expression.
      sql: `
        CREATE INDEX audit_records_lineage_parent
          ON audit_records (((record::jsonb) #>> '{input,lineage,parent_id}'), ts_ms, seq)
          WHERE ((record::jsonb) #>> '{input,lineage,parent_id}') IS NOT NULL;`,
    },
    {
      version: 3,
      name: 'index decision lineage over records that hold a NUL character',
      // jsonb cannot hold U+0000, so migration 2's cast refused every record whose JSON held the escape
      // \u0000 (a caller's context may), and with it the record's whole group commit. Every \u0000 is read as
      // \ufffd first: the same six-character shape, so the JSON stays well formed (an escaped backslash before
      // "u0000" stays one), and the parent id, a UUID, is never changed. LINEAGE_PARENT in pg-lineage-source.ts
      // is this expression.
      sql: `
        DROP INDEX audit_records_lineage_parent;
        CREATE INDEX audit_records_lineage_parent
          ON audit_records (((replace(record, '\\u0000', '\\ufffd')::jsonb) #>> '{input,lineage,parent_id}'), ts_ms, seq)
          WHERE ((replace(record, '\\u0000', '\\ufffd')::jsonb) #>> '{input,lineage,parent_id}') IS NOT NULL;`,
    },
    {
      version: 4,
      name: 'index the first 64 characters of a decision lineage parent',
      // A Data API caller's input may name any parent, such as 2,048 characters of a three-byte script: an
      // index entry past 2,704 bytes, which PostgreSQL refused, failing the record and its group commit. A
      // parent is a decision id, 36 characters: compared on its first 64, no id matches a longer value.
      // LINEAGE_PARENT in pg-lineage-source.ts is this expression.
      sql: `
        DROP INDEX audit_records_lineage_parent;
        CREATE INDEX audit_records_lineage_parent
          ON audit_records ((left((replace(record, '\\u0000', '\\ufffd')::jsonb) #>> '{input,lineage,parent_id}', 64)), ts_ms, seq)
          WHERE ((replace(record, '\\u0000', '\\ufffd')::jsonb) #>> '{input,lineage,parent_id}') IS NOT NULL;`,
    },
  ],
};
