import type { Statement } from 'better-sqlite3';
import type { Db } from '../audit/database';

/** One audit record as an OPA decision-log event, ready to send. */
export interface ShippableEvent {
  seq: number;
  /** The record's chain hash: what the cursor keeps to know the log again. */
  hash: string;
  /** The event's JSON text. */
  json: string;
}

/** Reads audit records after a seq as decision-log events, oldest first, the newest seq, and a record's hash. */
export interface EventSource {
  eventsAfter(seq: number, limit: number): ShippableEvent[];
  headSeq(): number;
  /** The chain hash of the record at `seq`, or undefined when there is none (pruned, or past the head). */
  hashAt(seq: number): string | undefined;
}

// opaEvent (opa-event.ts) is the definition of the event; this is the same mapping done by SQLite's
// JSON functions, in C, without turning the stored record into JS objects and back: parsing,
// mapping and serialising in JS was ~50 µs a record, more than the rest of shipping together.
// test/operations/shipping-events.test.ts proves both give the same events, key order included.
// The event comes in two parts that eventsAfter joins: `head`, every field up to hash, and `tail`,
// the record's links (parent, root, session, trace id) and http_path. json_patch onto {} drops the
// links that are null, as opaEvent leaves those keys out; patching the small tail, not the whole
// event, spares SQLite a second parse of ~2 KB per record. The rows come from a subquery SQLite runs
// as a co-routine, so each record's text is read from the table once: a record longer than a page's
// local room (about 1 KB with 1 KiB pages) lives in overflow pages, which every `record ->` on the
// table itself would copy out again (37 against 17 µs an event: bench/RESULTS.md, "Shipping reads").
export const EVENTS_AFTER = `
  SELECT seq, hash,
    json_object(
      'decision_id', record -> '$.decision_id',
      'labels', json(:labels),
      'path', CASE
        WHEN record ->> '$.path' = '/v1/decide' THEN :entrypoint
        WHEN substr(record ->> '$.path', 1, 9) = '/v1/data/' THEN substr(record ->> '$.path', 10)
        ELSE ltrim(record ->> '$.path', '/')
      END,
      'input', record -> '$.input',
      'result', record -> '$.result',
      'bundles', CASE
        WHEN record ->> '$.bundle.name' IS NULL THEN json_object()
        ELSE json_object(record ->> '$.bundle.name', json_object('revision', record -> '$.bundle.revision'))
      END,
      'requested_by', coalesce(record ->> '$.client_address', ''),
      'timestamp', record -> '$.timestamp',
      'metrics', json_object(
        'timer_server_handler_ns', CAST(round((record ->> '$.latency_ms') * 1e6) AS INTEGER)
      ),
      'outcome', record -> '$.outcome',
      'status', record -> '$.status',
      'subject', record -> '$.subject',
      'issuer', record -> '$.issuer',
      'actor', record -> '$.actor',
      'token_id', record -> '$.token_id',
      'model', record -> '$.model',
      'provider', record -> '$.provider',
      'operation', record -> '$.operation',
      'purpose', record -> '$.purpose',
      'reasons', record -> '$.reasons',
      'obligations', record -> '$.obligations',
      'max_tokens', record -> '$.max_tokens',
      'latency_ms', record -> '$.latency_ms',
      'seq', seq,
      'prev_hash', prev_hash,
      'hash', hash
    ) AS head,
    json_patch('{}', json_object(
      'parent_decision_id', record ->> '$.input.lineage.parent_id',
      'root_decision_id', record ->> '$.input.lineage.root_id',
      'session_id', record ->> '$.input.lineage.session_id',
      'trace_id', record ->> '$.input.lineage.trace_id',
      'http_path', record ->> '$.path'
    )) AS tail
  FROM (SELECT seq, record, prev_hash, hash FROM audit_records WHERE seq > :after ORDER BY seq LIMIT :limit)
  ORDER BY seq`;

/** Reads the audit log in chain order as decision-log events (see EVENTS_AFTER). */
export class EventReader implements EventSource {
  private readonly after: Statement;
  private readonly newest: Statement;
  private readonly hashOf: Statement;
  private readonly labels: string;

  constructor(
    db: Db,
    private readonly context: { labels: Record<string, string>; entrypoint: string },
  ) {
    this.after = db.prepare(EVENTS_AFTER);
    this.newest = db.prepare('SELECT max(seq) AS seq FROM audit_records');
    this.hashOf = db.prepare('SELECT hash FROM audit_records WHERE seq = ?').pluck();
    this.labels = JSON.stringify(context.labels);
  }

  /** Returns up to `limit` events of the records with seq greater than `seq`, oldest first. */
  eventsAfter(seq: number, limit: number): ShippableEvent[] {
    const rows = this.after.all({
      labels: this.labels,
      entrypoint: this.context.entrypoint,
      after: seq,
      limit,
    }) as { seq: number; hash: string; head: string; tail: string }[];
    // "{...,"hash":"…"}" and "{"http_path":"…"}" (never empty) make "{...,"hash":"…","http_path":"…"}".
    return rows.map((row) => ({
      seq: row.seq,
      hash: row.hash,
      json: `${row.head.slice(0, -1)},${row.tail.slice(1)}`,
    }));
  }

  hashAt(seq: number): string | undefined {
    return this.hashOf.get(seq) as string | undefined;
  }

  /** Returns the seq of the newest record, or 0 when the log is empty. */
  headSeq(): number {
    return (this.newest.get() as { seq: number | null }).seq ?? 0;
  }
}
