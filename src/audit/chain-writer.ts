import type { Statement } from 'better-sqlite3';
import { AuditRecordError } from './audit-errors';
import { latestAnchor } from './audit-retention';
import type { Db } from './database';
import { chainHash, GENESIS_HEAD, type ChainHead } from './hash-chain';
import type { PrivilegeFact } from './privilege-facts';
import type { RecordColumns } from './record-columns';

/** A record ready to be chained: its canonical JSON and what it is indexed under. */
export interface PreparedRecord {
  json: string;
  columns: RecordColumns;
  reasons: string[];
  /** Its row of audit_privilege_facts, if it has one (privilegeFact). */
  facts: PrivilegeFact | null;
}

const INSERT_RECORD = `INSERT INTO audit_records
  (seq, decision_id, ts_ms, path, outcome, status, subject, issuer, actor, token_id, model, provider, operation,
   purpose, record, prev_hash, hash)
  VALUES (@seq, @decision_id, @ts_ms, @path, @outcome, @status, @subject, @issuer, @actor, @token_id, @model,
   @provider, @operation, @purpose, @record, @prev_hash, @hash)`;

// OR REPLACE: after a seq was rewritten by hand (tampering, which verify reports) a stale fact may hold
// the seq, and it must not make the append fail.
const INSERT_FACT = `INSERT OR REPLACE INTO audit_privilege_facts
  (seq, ts_ms, subject, outcome, model, operation, purpose, tools, reasons, day_tokens, minute_calls, call_tokens)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Appends records to the hash chain; every method must run inside a write transaction. */
export class ChainWriter {
  private readonly insertRecord: Statement;
  private readonly insertReason: Statement;
  // Prepared on first use: a log at schema version 2 or older (tests of the upgrade) has no facts table.
  private insertFact: Statement | undefined;
  private readonly selectHead: Statement;

  constructor(private readonly db: Db) {
    this.insertRecord = db.prepare(INSERT_RECORD);
    this.insertReason = db.prepare(
      'INSERT OR IGNORE INTO audit_reasons (seq, reason, ts_ms) VALUES (?, ?, ?)',
    );
    this.selectHead = db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
  }

  /**
   * Returns the head the next record chains to: the last record, else the prune anchor, else genesis.
   * Read from the database every time, never cached, so no other writer's commit is ever missed.
   */
  head(): ChainHead {
    return (this.selectHead.get() as ChainHead | undefined) ?? latestAnchor(this.db) ?? GENESIS_HEAD;
  }

  /**
   * Chains the records in order and returns, per record, the error that refused it (undefined if
   * written), and the new head. Only a duplicate decision_id refuses a single record; any other
   * failure throws, and the caller's transaction rolls back the whole batch.
   */
  append(items: PreparedRecord[]): { refused: (Error | undefined)[]; head: ChainHead } {
    let head = this.head();
    const refused = items.map((item) => {
      const seq = head.seq + 1;
      const hash = chainHash(head.hash, seq, item.json);
      try {
        this.insertRecord.run({ ...item.columns, seq, record: item.json, prev_hash: head.hash, hash });
      } catch (err) {
        // The failed INSERT alone is undone (statement-level rollback); the rest of the batch goes on.
        if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
          const id = item.columns.decision_id;
          return new AuditRecordError(`decision_id ${id} is already recorded`, { cause: err });
        }
        throw err;
      }
      for (const reason of item.reasons) this.insertReason.run(seq, reason, item.columns.ts_ms);
      if (item.facts) this.appendFact(seq, item.columns, item.facts);
      head = { seq, hash };
      return undefined;
    });
    return { refused, head };
  }

  private appendFact(seq: number, columns: RecordColumns, fact: PrivilegeFact): void {
    const { ts_ms, subject, outcome, model, operation, purpose } = columns;
    const { tools, reasons, day_tokens, minute_calls, call_tokens } = fact;
    this.insertFact ??= this.db.prepare(INSERT_FACT);
    this.insertFact.run(
      seq,
      ts_ms,
      subject,
      outcome,
      model,
      operation,
      purpose,
      tools,
      reasons,
      day_tokens,
      minute_calls,
      call_tokens,
    );
  }
}
