import type { MigrationSet } from './database';

/** The lineage indexes of migration 2 and the input.lineage field each one covers. */
export const LINEAGE_INDEXES = [
  ['audit_records_lineage_parent', 'parent_id'],
  ['audit_records_lineage_root', 'root_id'],
  ['audit_records_lineage_session', 'session_id'],
] as const;

/**
 * The audit log's schema. `record` holds the canonical JSON that is hashed; every other column of
 * audit_records and all of audit_reasons is derived from it to make queries fast, and verify
 * checks that they still agree with it. Only ever append migrations here; never edit one that shipped.
 */
export const auditMigrations: MigrationSet = {
  component: 'audit',
  migrations: [
    {
      version: 1,
      name: 'create the audit log: records, reason index, signed checkpoints, prune anchors',
      up(db) {
        db.exec(`
          CREATE TABLE audit_records (
            seq         INTEGER PRIMARY KEY,   -- position in the hash chain, 1, 2, 3...
            decision_id TEXT    NOT NULL UNIQUE,
            ts_ms       INTEGER NOT NULL,      -- record.timestamp as Unix milliseconds
            path        TEXT    NOT NULL,
            outcome     TEXT    NOT NULL,
            status      INTEGER NOT NULL,
            subject     TEXT,
            issuer      TEXT,
            actor       TEXT,
            token_id    TEXT,
            model       TEXT,
            provider    TEXT,
            operation   TEXT,
            purpose     TEXT,
            record      TEXT    NOT NULL,      -- canonical JSON of the AuditRecordV1
            prev_hash   TEXT    NOT NULL,
            hash        TEXT    NOT NULL       -- SHA-256(prev_hash || {"record":<record>,"seq":<seq>})
          ) STRICT;
          -- Each index ends in ts_ms (and, implicitly, seq): newest-first pages need no sort.
          CREATE INDEX audit_records_ts ON audit_records (ts_ms);
          CREATE INDEX audit_records_subject ON audit_records (subject, ts_ms);
          CREATE INDEX audit_records_model ON audit_records (model, ts_ms);
          CREATE INDEX audit_records_outcome ON audit_records (outcome, ts_ms);

          CREATE TABLE audit_reasons (
            seq    INTEGER NOT NULL,
            reason TEXT    NOT NULL,
            ts_ms  INTEGER NOT NULL,
            PRIMARY KEY (seq, reason)
          ) STRICT, WITHOUT ROWID;
          CREATE INDEX audit_reasons_reason ON audit_reasons (reason, ts_ms, seq);

          CREATE TABLE audit_checkpoints (
            seq       INTEGER PRIMARY KEY,     -- the chain head that was signed
            hash      TEXT    NOT NULL,
            signed_at TEXT    NOT NULL,
            key_id    TEXT    NOT NULL,        -- SHA-256 of the public key (SPKI DER), hex
            signature TEXT    NOT NULL         -- Ed25519, base64
          ) STRICT;

          CREATE TABLE audit_prunes (
            id         INTEGER PRIMARY KEY,
            seq        INTEGER NOT NULL,       -- the last pruned record: the chain now starts after it
            hash       TEXT    NOT NULL,
            before_ts  TEXT    NOT NULL,
            deleted    INTEGER NOT NULL,
            pruned_at  TEXT    NOT NULL
          ) STRICT;
        `);
      },
    },
    {
      version: 2,
      name: 'index decision lineage: the parent, root and session each decision names',
      // Expression indexes over the hashed record: the lineage links live in input.lineage, so no
      // derived column (and nothing for verify to reconcile) is added. Partial, because most
      // decisions have no lineage and need no index entry.
      up(db) {
        for (const [name, field] of LINEAGE_INDEXES) {
          const expr = `json_extract(record, '$.input.lineage.${field}')`;
          db.exec(`CREATE INDEX ${name} ON audit_records (${expr}) WHERE ${expr} IS NOT NULL`);
        }
      },
    },
  ],
};
