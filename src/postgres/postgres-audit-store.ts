import type { Writable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { ReasonCode, UnavailableError } from '../errors';
import { AuditRecordError, RecordConditionError } from '../audit/audit-errors';
import { planQuery, encodeCursor } from '../audit/audit-query';
import type { AuditRecordV1 } from '../audit/audit-record';
import type {
  AuditPage,
  AuditQuery,
  AuditStore,
  ExportOptions,
  ExportProgress,
  PruneResult,
  StoredAuditRecord,
  VerifyOptions,
  VerifyResult,
} from '../audit/audit-store';
import type { PreparedRecord } from '../audit/chain-writer';
import { chainHash, type ChainHead } from '../audit/hash-chain';
import { prepareRecord } from '../audit/prepare-record';
import { RECORD_COLUMN_NAMES } from '../audit/record-columns';
import type { CheckpointOptions, AuditStoreStats } from '../audit/sqlite-audit-store';
import { loadCheckpointSigner, type CheckpointSigner } from '../audit/signed-checkpoints';
import { parseInstant, type Instant } from '../audit/time-range';
import { verifyOnThread } from '../audit/verify-on-thread';
import { CHAIN_LOCK, chainHead, pruneInLock } from './pg-chain';
import { pgColumnText } from './pg-column-text';
import { withClient } from './pg-pool';
import { withSqliteSnapshot } from './pg-snapshot';

/** How to open a PostgresAuditStore on a pool whose database has auditPgMigrations applied. */
export interface PostgresAuditStoreOptions {
  pool: Pool;
  /** Ends the pool on close (the CLI); the service ends its own pool. */
  ownsPool?: boolean;
  checkpoint?: CheckpointOptions;
  /** Largest group commit. Default 1000. */
  maxBatchSize?: number;
  logger: Logger;
  now?: () => number;
}

/** A change made in the transaction of its record, on its connection; false when it cannot be made. */
export type PgCondition = (client: PoolClient) => Promise<boolean>;

interface Pending {
  item: PreparedRecord;
  condition?: PgCondition;
  resolve: () => void;
  reject: (err: Error) => void;
}

const PROBE_MS = 1000;
// The query parameters compared with a derived text column, which holds pgColumnText of the record's value.
const COLUMN_FILTERS = new Set(['subject', 'model', 'outcome', 'reason']);

type RecordRow = { seq: number; record: string; prev_hash: string; hash: string; ts_ms?: number };

/**
 * The audit log in PostgreSQL, shared by every replica. Appends are validated, then group-committed:
 * one transaction in flight per replica, and whatever arrives meanwhile is the next batch. Each
 * transaction takes the chain lock, reads the head, inserts the batch with its hashes and commits,
 * and only then do the appends resolve (durable before reply). A failed commit rejects its batch
 * with audit_unavailable; `healthy` turns false until a probe reaches the database again.
 */
export class PostgresAuditStore implements AuditStore {
  private pending: Pending[] = [];
  private inFlight: Promise<void> | null = null;
  private inFlightSize = 0;
  private closed = false;
  private reachable = true;
  private probe: NodeJS.Timeout | undefined;
  private signTimer: NodeJS.Timeout | undefined;
  private lastSignedMs: number;
  private readonly signer: CheckpointSigner | null;
  private readonly counters: AuditStoreStats = { appended: 0, commits: 0, failedCommits: 0, checkpoints: 0 };

  constructor(private readonly options: PostgresAuditStoreOptions) {
    this.signer = options.checkpoint ? loadCheckpointSigner(options.checkpoint.privateKeyFile) : null;
    this.lastSignedMs = this.now();
    if (options.checkpoint) {
      const period = Math.min((options.checkpoint.everySeconds ?? 60) * 1000, 10_000);
      this.signTimer = setInterval(() => void this.checkpointIfDue(false), period).unref();
    }
  }

  /** Whether the last attempt to reach the database succeeded: /ready reports false while it is not. */
  get healthy(): boolean {
    return !this.closed && this.reachable;
  }

  /** Whether the store still accepts appends. */
  get open(): boolean {
    return !this.closed;
  }

  /** Records waiting for a commit: queued, plus the batch being committed (for metrics). */
  get queueDepth(): number {
    return this.pending.length + this.inFlightSize;
  }

  /** Resolves once the record is committed in PostgreSQL; see AuditStore.append. */
  append(record: AuditRecordV1, condition?: PgCondition): Promise<void> {
    if (this.closed) {
      return Promise.reject(new UnavailableError(ReasonCode.AuditUnavailable, 'the audit log is closed'));
    }
    let item: PreparedRecord;
    try {
      item = prepareRecord(record);
    } catch (err) {
      return Promise.reject(err as AuditRecordError);
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, condition, resolve, reject });
      this.inFlight ??= this.drain();
    });
  }

  /**
   * Resolves once the record is committed together with the change `condition` makes in the same transaction;
   * rejects with RecordConditionError, writing neither, when the condition returns false.
   */
  appendIf(record: AuditRecordV1, condition: PgCondition): Promise<void> {
    return this.append(record, condition);
  }

  /** Returns the record of a decision, or null. */
  async get(decisionId: string): Promise<StoredAuditRecord | null> {
    const { rows } = await this.read<RecordRow>(
      'SELECT seq, record, prev_hash, hash FROM audit_records WHERE decision_id = $1',
      [decisionId],
    );
    return rows[0] ? toStored(rows[0]) : null;
  }

  /** Returns one page of records matching every filter, newest first; the SQL is the SQLite store's. */
  async query(filter: AuditQuery): Promise<AuditPage> {
    const plan = planQuery(filter);
    const values: (string | number)[] = [];
    const sql = plan.sql.replace(/@(\w+)/g, (_, name: string) => {
      const value = plan.params[name]!;
      values.push(COLUMN_FILTERS.has(name) ? pgColumnText(value) : value);
      return `$${values.length}`;
    });
    const { rows } = await this.read<Required<RecordRow>>(sql, values);
    const page = rows.slice(0, plan.limit);
    const last = page.at(-1);
    return {
      records: page.map(toStored),
      next_cursor:
        rows.length > plan.limit && last ? encodeCursor({ tsMs: last.ts_ms, seq: last.seq }) : null,
    };
  }

  /**
   * Returns whether the chain is intact, checked by the SQLite verifier on a consistent copy: on a worker thread,
   * as the service's SQLite log is, unless the caller follows its progress (the CLI).
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    return this.readSnapshot((store) =>
      options.onProgress ? store.verify(options) : verifyOnThread(store.fileName, options),
    );
  }

  /** Streams records to `out` from a consistent copy; see AuditStore.exportRecords. */
  async exportRecords(
    options: ExportOptions,
    out: Writable,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<ExportProgress> {
    return this.readSnapshot((store) => store.exportRecords(options, out, onProgress));
  }

  /** Deletes the longest prefix of the chain older than `before` and anchors the rest (as in SQLite). */
  async prune(options: { before: Instant }): Promise<PruneResult> {
    const beforeMs = parseInstant(options.before, 'before');
    if (this.closed) throw new UnavailableError(ReasonCode.AuditUnavailable, 'the audit log is closed');
    const result = await this.transaction((client) => pruneInLock(client, beforeMs));
    this.options.logger.info({ deleted: result.deleted, anchor_seq: result.anchor?.seq }, 'audit log pruned');
    return result;
  }

  /** Returns counters of commits and appended records since open. */
  stats(): AuditStoreStats {
    return { ...this.counters };
  }

  /** Commits pending appends, signs the head if records are unsigned, and stops its timers (not the pool). */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.inFlight) await this.inFlight;
    this.closed = true;
    clearInterval(this.signTimer);
    clearTimeout(this.probe);
    await this.checkpointIfDue(true);
    if (this.options.ownsPool) await this.options.pool.end();
  }

  // One batch at a time; appends that arrive while it commits form the next one.
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatchSize ?? 1000);
      this.inFlightSize = batch.length;
      const outcomes = await this.commitBatch(batch);
      batch.forEach((entry, i) => {
        const error = outcomes[i];
        if (error) entry.reject(error);
        else entry.resolve();
      });
    }
    this.inFlightSize = 0;
    this.inFlight = null;
  }

  // Returns each record's failure, or undefined once it is committed. A record the database refuses (a
  // value it cannot hold, a constraint a DBA added) fails its batch's transaction: the batch is then
  // committed record by record, so it fails alone, and the database is not reported unreachable for it.
  private async commitBatch(batch: Pending[]): Promise<(Error | undefined)[]> {
    try {
      const refused = await this.transaction((client) => this.appendInLock(client, batch));
      this.markReachable();
      return refused;
    } catch (err) {
      if (!isRefusal(err)) {
        const failure = this.commitFailed(err, batch.length);
        return batch.map(() => failure);
      }
      if (batch.length === 1) return [refusedRecord(err)];
      const outcomes: (Error | undefined)[] = [];
      for (const entry of batch) outcomes.push(...(await this.commitBatch([entry])));
      return outcomes;
    }
  }

  private async appendInLock(client: PoolClient, batch: Pending[]): Promise<(Error | undefined)[]> {
    await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
    let head = await chainHead(client);
    const ids = batch.map((entry) => entry.item.columns.decision_id);
    const { rows: taken } = await client.query<{ decision_id: string }>(
      'SELECT decision_id FROM audit_records WHERE decision_id = ANY($1)',
      [ids],
    );
    const seen = new Set(taken.map((row) => row.decision_id));
    const columns: unknown[][] = [...RECORD_COLUMN_NAMES, 'seq', 'record', 'prev_hash', 'hash'].map(() => []);
    const reasons: [number[], string[], number[]] = [[], [], []];
    const refused: (Error | undefined)[] = [];
    for (const { item, condition } of batch) {
      const id = item.columns.decision_id;
      if (seen.has(id)) {
        refused.push(new AuditRecordError(`decision_id ${id} is already recorded`));
        continue;
      }
      // The change goes in this transaction, before the batch's records: a batch that fails undoes it too.
      if (condition && !(await condition(client))) {
        refused.push(new RecordConditionError('the change this record describes can no longer be made'));
        continue;
      }
      seen.add(id);
      const seq = head.seq + 1;
      const hash = chainHash(head.hash, seq, item.json);
      const values = [
        ...RECORD_COLUMN_NAMES.map((name) => pgColumnText(item.columns[name])),
        seq,
        item.json,
        head.hash,
        hash,
      ];
      values.forEach((value, i) => columns[i]!.push(value));
      for (const reason of item.reasons) {
        reasons[0].push(seq);
        reasons[1].push(pgColumnText(reason));
        reasons[2].push(item.columns.ts_ms);
      }
      head = { seq, hash };
      refused.push(undefined);
    }
    const written = columns[0]!.length;
    if (written > 0) {
      // One statement per table however big the batch: unnest turns the column arrays into rows.
      await client.query(
        `INSERT INTO audit_records (${[...RECORD_COLUMN_NAMES, 'seq', 'record', 'prev_hash', 'hash'].join(', ')})
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::text[],
           $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
           $14::bigint[], $15::text[], $16::text[], $17::text[])`,
        columns,
      );
      if (reasons[0].length > 0) {
        await client.query(
          'INSERT INTO audit_reasons (seq, reason, ts_ms) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])',
          reasons,
        );
      }
      await this.signIfDue(client, head, false);
    }
    this.counters.appended += written;
    if (written > 0) this.counters.commits += 1;
    return refused;
  }

  private async signIfDue(client: PoolClient, head: ChainHead, force: boolean): Promise<void> {
    if (!this.signer) return;
    const { rows } = await client.query<{ seq: number | null }>(
      `SELECT greatest((SELECT max(seq) FROM audit_checkpoints), (SELECT max(seq) FROM audit_prunes)) AS seq`,
    );
    const unsigned = head.seq - (rows[0]?.seq ?? 0);
    if (unsigned <= 0) return;
    const now = this.now();
    const due =
      unsigned >= (this.options.checkpoint?.everyRecords ?? 1000) ||
      now - this.lastSignedMs >= (this.options.checkpoint?.everySeconds ?? 60) * 1000;
    if (!force && !due) return;
    const checkpoint = this.signer.sign(head.seq, head.hash, new Date(now).toISOString());
    await client.query(
      'INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)',
      [checkpoint.seq, checkpoint.hash, checkpoint.signed_at, checkpoint.key_id, checkpoint.signature],
    );
    this.lastSignedMs = now;
    this.counters.checkpoints += 1;
  }

  private async checkpointIfDue(force: boolean): Promise<void> {
    if (!this.signer) return;
    try {
      await this.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
        await this.signIfDue(client, await chainHead(client), force);
      });
    } catch (err) {
      this.options.logger.warn({ err }, 'could not write a signed audit checkpoint; will retry');
    }
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withClient(this.options.pool, async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async read<R extends object>(sql: string, values: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await this.options.pool.query<R>(sql, values);
    } catch (err) {
      throw this.unreachable(err, 'the audit log cannot be read');
    }
  }

  private async readSnapshot<T>(work: Parameters<typeof withSqliteSnapshot<T>>[2]): Promise<T> {
    try {
      return await withSqliteSnapshot(this.options.pool, this.options.logger, work);
    } catch (err) {
      if (isDatabaseError(err)) throw this.unreachable(err, 'the audit log cannot be read');
      throw err;
    }
  }

  private commitFailed(err: unknown, size: number): Error {
    this.counters.failedCommits += 1;
    return this.unreachable(err, `the audit log cannot record decisions`, size);
  }

  private unreachable(err: unknown, what: string, records?: number): Error {
    const code = (err as { code?: string }).code ?? 'error';
    if (this.reachable) {
      this.options.logger.error(
        { err: { message: (err as Error).message, code }, records },
        'audit database unreachable: decisions fail closed with 503 audit_unavailable until it is back',
      );
    }
    this.reachable = false;
    this.scheduleProbe();
    return new UnavailableError(ReasonCode.AuditUnavailable, `${what} (${code})`, { cause: err });
  }

  // While unreachable, a cheap probe finds out when the database is back, so /ready recovers even
  // when no decision arrives to try.
  private scheduleProbe(): void {
    if (this.probe || this.closed) return;
    this.probe = setTimeout(() => {
      this.probe = undefined;
      this.options.pool.query('SELECT 1').then(
        () => this.markReachable(),
        () => this.scheduleProbe(),
      );
    }, PROBE_MS).unref();
  }

  private markReachable(): void {
    if (this.reachable) return;
    this.reachable = true;
    this.options.logger.info('audit database reachable again: recording decisions');
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

// SQLSTATE classes of a value the database will not store: 22 data exception, 23 integrity constraint
// violation, 54 program limit exceeded (such as an index entry too large). Retrying does not help.
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

// Without the driver's error as its cause: its detail may quote the row.
function refusedRecord(err: unknown): AuditRecordError {
  const { message, code } = err as { message: string; code: string };
  return new AuditRecordError(`PostgreSQL refused it: ${message} (${code})`);
}

function isDatabaseError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || code.startsWith('E'));
}

function toStored(row: RecordRow): StoredAuditRecord {
  return {
    ...(JSON.parse(row.record) as AuditRecordV1),
    seq: row.seq,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
