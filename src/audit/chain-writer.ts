import type { Statement } from 'better-sqlite3';
import { AuditRecordError, RecordConditionError } from './audit-errors';
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
  /**
   * A change the record describes, made in the record's own transaction: it runs just before the record is
   * chained and returns false when it cannot be made (then neither it nor the record is written). Lets a state
   * change and its audit record be one commit, so that a crash or a failed write never leaves one without the other.
   */
  condition?: () => boolean;
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
  /** The head as this writer found it at open or left it at its last append (see rolledBack). */
  private expected: ChainHead;

  constructor(private readonly db: Db) {
    this.insertRecord = db.prepare(INSERT_RECORD);
    this.insertReason = db.prepare(
      'INSERT OR IGNORE INTO audit_reasons (seq, reason, ts_ms) VALUES (?, ?, ?)',
    );
    this.selectHead = db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1');
    this.expected = this.storedHead();
  }

  /**
   * Returns the head the next record chains to: the last record, else the prune anchor, else genesis.
   * Read from the database every time, and it must be the head this writer left: only this writer appends
   * (the log lock keeps other servers off, and a prune keeps the head), so any other head means the chain was
   * rewritten or cut under it. Extending or signing that head would vouch for the rewrite; it throws instead.
   */
  head(): ChainHead {
    const head = this.storedHead();
    if (head.seq !== this.expected.seq || head.hash !== this.expected.hash) {
      const message =
        `the audit chain changed under its writer: its head is seq ${head.seq} (${head.hash}), ` +
        `but this writer left seq ${this.expected.seq} (${this.expected.hash}); run modelgate audit verify`;
      throw Object.assign(new Error(message), { code: 'CHAIN_CHANGED' });
    }
    return head;
  }

  /** Returns the head this writer expects to find: what it found at open or last appended. */
  expectedHead(): ChainHead {
    return this.expected;
  }

  /** After the transaction of append() rolled back: the head is `head`, from expectedHead() before it, again. */
  rolledBack(head: ChainHead): void {
    this.expected = head;
  }

  private storedHead(): ChainHead {
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
      const error = item.condition
        ? this.insertIf(item, seq, head.hash, hash)
        : this.insert(item, seq, head.hash, hash);
      if (!error) head = { seq, hash };
      return error;
    });
    this.expected = head;
    return { refused, head };
  }

  // A record with a condition goes in under a savepoint: when the condition fails or the record is refused, the
  // change the condition made is undone with it. Any other error rolls the whole batch back anyway.
  private insertIf(item: PreparedRecord, seq: number, prevHash: string, hash: string): Error | undefined {
    this.db.exec('SAVEPOINT record_condition');
    const error = item.condition!()
      ? this.insert(item, seq, prevHash, hash)
      : new RecordConditionError('the change this record describes can no longer be made');
    this.db.exec(
      error ? 'ROLLBACK TO record_condition; RELEASE record_condition' : 'RELEASE record_condition',
    );
    return error;
  }

  // Returns the error that refused this record alone (a duplicate decision_id); throws on any other failure.
  private insert(item: PreparedRecord, seq: number, prevHash: string, hash: string): Error | undefined {
    try {
      this.insertRecord.run({ ...item.columns, seq, record: item.json, prev_hash: prevHash, hash });
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
    return undefined;
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
