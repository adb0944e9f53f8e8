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
    {
      version: 3,
      name: 'privilege facts: one narrow row per allowed or denied decision, kept by triggers',
      up(db) {
        db.exec(PRIVILEGE_FACTS_SQL);
        // Decisions recorded before this migration get their facts once, here.
        db.exec(`INSERT INTO audit_privilege_facts ${privilegeFactsOfRecords()}`);
      },
    },
    {
      version: 4,
      name: 'privilege facts written by the chain writer, not by a trigger',
      // The trigger parsed every appended record's JSON once more: on the benchmark, dropping it gave
      // 1.04x decisions per second and 0.95x CPU per decision. The chain writer has the record as an object
      // and writes the same row (privilege-facts.ts). Deletes still follow the records by trigger.
      up(db) {
        db.exec('DROP TRIGGER IF EXISTS audit_privilege_facts_insert');
      },
    },
    {
      version: 5,
      name: 'privilege facts count a prompt sent as payload, as the policy does',
      // day_tokens counted the declared input_tokens only, while the policy counts at least a token per four
      // characters of payload: a bot that declared nothing peaked too low, and the tightened budget the report
      // proposed denied its calls. The facts are derived, so they are computed again from the records, once.
      up(db) {
        db.exec('DELETE FROM audit_privilege_facts');
        db.exec(`INSERT INTO audit_privilege_facts ${privilegeFactsOfRecords()}`);
      },
    },
  ],
};

/** Returns the SELECT of every stored decision's fact row, computed in SQL from the hashed records. */
export function privilegeFactsOfRecords(): string {
  return factsSelect('r', `FROM audit_records r WHERE ${factsWhen('r')}`);
}

// What the privileges report reads of a decision, computed from the hashed record in SQL. The
// record is parsed once (one json_extract with every path gives a small array); each value is
// then read from that array: parsing kilobytes of record eight times doubled the cost of a write.
// OFFSET 0 keeps SQLite from flattening the subquery, which would copy the json_extract of the
// record into each of the seven uses, parsing it seven times after all.
const FACT_PATHS = [
  'input.invocation.tools',
  'reasons',
  'input.usage.tokens_last_day',
  'input.invocation.input_tokens',
  'max_tokens',
  'input.usage.requests_last_minute',
  'input.invocation.max_tokens',
  'input.payload.chars',
];

/** Returns the SELECT of fact rows from `row` (NEW in the trigger, r over audit_records with `from`). */
function factsSelect(row: string, from = ''): string {
  const paths = FACT_PATHS.map((p) => `'$.${p}'`).join(', ');
  const at = (i: number) => `json_extract(f.a, '$[${i}]')`;
  const columns = ['seq', 'ts_ms', 'subject', 'outcome', 'model', 'operation', 'purpose'];
  return `SELECT ${columns.map((c) => `f.${c}`).join(', ')}, ${at(0)},
    CASE WHEN f.outcome = 'denied' THEN ${at(1)} END,
    coalesce(${at(2)}, 0) + max(coalesce(${at(3)}, 0), (coalesce(${at(7)}, 0) + 3) / 4) + coalesce(${at(4)}, 0),
    coalesce(${at(5)}, 0), coalesce(${at(6)}, 0)
    FROM (SELECT ${columns.map((c) => `${row}.${c} AS ${c}`).join(', ')},
      json_extract(${row}.record, ${paths}) AS a ${from} LIMIT -1 OFFSET 0) f`;
}

function factsWhen(row: string): string {
  return `${row}.path = '/v1/decide' AND ${row}.outcome IN ('allowed', 'denied') AND ${row}.subject IS NOT NULL`;
}

/**
 * The privileges report aggregates a month of decisions; reading every hashed record (kilobytes of
 * JSON each) would take minutes on a large log. These facts are a few dozen bytes a decision,
 * written in the transaction that appends the record (by the trigger below up to migration 4, by
 * the chain writer since) and deleted with it (retention). Keyed by seq only, no other index: each
 * index is one more B-tree insert per decision. Derived data: the hash chain stays the evidence.
 */
const PRIVILEGE_FACTS_SQL = `
  CREATE TABLE audit_privilege_facts (
    seq           INTEGER PRIMARY KEY,   -- audit_records.seq
    ts_ms         INTEGER NOT NULL,
    subject       TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,      -- allowed or denied
    model         TEXT,
    operation     TEXT,
    purpose       TEXT,
    tools         TEXT,                  -- JSON array of {name}, as requested
    reasons       TEXT,                  -- JSON array of reason codes, denied decisions only
    day_tokens    INTEGER NOT NULL,      -- tokens_last_day the call saw + what it committed
    minute_calls  INTEGER NOT NULL,      -- requests_last_minute the call saw (itself excluded)
    call_tokens   INTEGER NOT NULL       -- max_tokens the call asked for
  ) STRICT;
  -- The DELETE first: after a seq was rewritten by hand (tampering, which verify reports) a stale
  -- fact may hold the seq, and it must not make the insert fail (an outer OR ABORT would win).
  CREATE TRIGGER audit_privilege_facts_insert AFTER INSERT ON audit_records
    WHEN ${factsWhen('NEW')}
  BEGIN
    DELETE FROM audit_privilege_facts WHERE seq = NEW.seq;
    INSERT INTO audit_privilege_facts ${factsSelect('NEW')};
  END;
  CREATE TRIGGER audit_privilege_facts_delete AFTER DELETE ON audit_records
  BEGIN
    DELETE FROM audit_privilege_facts WHERE seq = OLD.seq;
  END;
`;
