import type { Logger } from 'pino';
import { waitBeforeRetryMs } from './backoff';
import type { CursorFile } from './cursor-file';
import type { EventSource } from './event-reader';
import { DeliveryError, type DecisionLogSink } from './sinks';

/** How one sink is fed: batch limits, retry limits, and what every event carries. */
export interface ShipperOptions {
  maxEvents: number;
  maxBytes: number;
  maxDelayMs: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
}

// The events of one delivery, with the seqs and hash that place it in the log.
interface Batch {
  events: string[];
  firstSeq: number;
  lastSeq: number;
  lastHash: string | undefined;
}

// Events read at a time: a batch cut short by max_bytes reads at most this many it does not send.
const SLICE = 100;

/** Where one sink stands, for /metrics and /v1/status. */
export interface ShippingStatus {
  sink: string;
  /** Seq of the last record the sink acknowledged (persisted, unless last_error says the cursor could not be). */
  cursor_seq: number;
  /** Seq of the newest record in the audit log. */
  head_seq: number;
  /** Records recorded but not yet acknowledged. */
  backlog: number;
  shipped_total: number;
  failed_deliveries_total: number;
  consecutive_failures: number;
  last_success_at: string | null;
  last_error: string | null;
}

/**
 * Ships the durable audit log to one sink, in chain order, from a persisted cursor. Nothing is held
 * in memory that is not also in the log, so a collector that is down loses nothing: the backlog
 * waits in SQLite and goes out, in order, when it returns. The cursor moves only after the sink
 * acknowledged a batch, so a batch is delivered again only if modelgate stops between the
 * acknowledgement and the cursor write (a crash): at least once, exactly once otherwise; each event
 * carries its decision_id and seq for a collector that must also deduplicate that case.
 */
export class DecisionLogShipper {
  private cursor: number;
  // The chain hash of the record at the cursor, when known: tells the shipped log from another one at its path.
  private cursorHash: string | undefined;
  private savedCursor: number;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly counts = { shipped: 0, failed: 0, consecutive: 0 };
  private lastSuccessMs: number | null = null;
  private lastError: string | null = null;
  // Events per batch: max_events, until the sink refuses a batch as too large.
  private batchLimit: number;
  private readonly retryLimits: { minMs: number; maxMs: number };

  constructor(
    private readonly sink: DecisionLogSink,
    private readonly reader: EventSource,
    private readonly cursorFile: CursorFile,
    private readonly options: ShipperOptions,
    private readonly logger: Logger,
    // Called after every delivery attempt, so whoever reports the status hears of it at once.
    private readonly changed: () => void = () => undefined,
  ) {
    const saved = cursorFile.read();
    this.cursor = saved.seq;
    this.cursorHash = saved.hash;
    this.savedCursor = this.cursor;
    this.batchLimit = options.maxEvents;
    this.retryLimits = { minMs: options.minRetryDelayMs, maxMs: options.maxRetryDelayMs };
    this.notAheadOfTheLog();
    this.theShippedLog();
  }

  // A prune keeps the head, so a log whose head is below the cursor is another log: one restored from a backup, or a
  // new file at the same path. Its records past the head are new ones; resumed at the old cursor, those up to it
  // would be skipped without a trace. Whatever the log holds up to its head is taken as shipped (it is the part a
  // restored log has in common with the one shipped); a different log's records up to it would be missed, so say so.
  private notAheadOfTheLog(): void {
    const head = this.reader.headSeq();
    if (this.cursor <= head) return;
    this.logger.error(
      { sink: this.sink.name, cursor_seq: this.cursor, head_seq: head, cursor_file: this.cursorFile.file },
      'the audit log is behind the shipping cursor; shipping from its head',
    );
    this.cursor = head;
    this.cursorHash = this.reader.hashAt(head);
  }

  // A log that reaches the cursor but holds another record there is another log (a new database, or a different one
  // restored over it): none of it was shipped, so all of it goes, from its start. A hash cannot be compared when the
  // cursor has none (written by hand, or by an earlier version) or its record was pruned; then the cursor stands.
  private theShippedLog(): void {
    if (this.cursorHash === undefined) return;
    const hash = this.reader.hashAt(this.cursor);
    if (hash === undefined || hash === this.cursorHash) return;
    this.logger.error(
      { sink: this.sink.name, cursor_seq: this.cursor, cursor_file: this.cursorFile.file },
      'the record at the shipping cursor is not the one shipped; shipping this log from its start',
    );
    this.cursor = 0;
    this.cursorHash = undefined;
  }

  /** Starts shipping in the background. */
  start(): void {
    this.loop ??= this.run().catch((err: unknown) => {
      this.logger.error({ err, sink: this.sink.name }, 'decision log shipping stopped by an error');
    });
  }

  /** Stops after the batch in flight (if any) is acknowledged or fails; the cursor is saved. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.sink.close();
  }

  /** Returns where the sink stands. */
  status(): ShippingStatus {
    const head = Math.max(this.reader.headSeq(), this.cursor);
    return {
      sink: this.sink.name,
      cursor_seq: this.cursor,
      head_seq: head,
      backlog: head - this.cursor,
      shipped_total: this.counts.shipped,
      failed_deliveries_total: this.counts.failed,
      consecutive_failures: this.counts.consecutive,
      last_success_at: this.lastSuccessMs === null ? null : new Date(this.lastSuccessMs).toISOString(),
      last_error: this.lastError,
    };
  }

  // Each step's own failures (the cursor cannot be saved, the log cannot be read) pause it and it starts again: a
  // full disk or a busy database stops shipping while it lasts, not until a restart.
  private async run(): Promise<void> {
    let errors = 0;
    while (!this.stopped) {
      try {
        await this.step();
      } catch (err) {
        errors += 1;
        await this.pause(err as Error, errors);
        continue;
      }
      if (errors > 0) this.recovered(errors);
      errors = 0;
    }
    await this.saveCursor().catch((err: unknown) => {
      this.logger.error(
        { err, sink: this.sink.name, seq: this.cursor },
        'could not save the shipping cursor',
      );
    });
  }

  private async step(): Promise<void> {
    // A cursor not saved yet is saved before anything more is sent: a crash resends one batch, never more.
    await this.saveCursor();
    // A full batch goes at once; a partial one waits for more records, up to max_delay_ms.
    if (this.reader.headSeq() - this.cursor < this.batchLimit) {
      await this.sleep(this.options.maxDelayMs);
      if (this.stopped) return;
    }
    const batch = await this.nextBatch();
    if (batch.events.length === 0) return;
    if (!(await this.deliverWithRetry(batch.events))) return;
    this.acknowledged(batch);
    await this.saveCursor();
    this.changed();
  }

  private async saveCursor(): Promise<void> {
    if (this.savedCursor === this.cursor) return;
    await this.cursorFile.write(
      this.cursorHash === undefined ? { seq: this.cursor } : { seq: this.cursor, hash: this.cursorHash },
    );
    this.savedCursor = this.cursor;
  }

  private async pause(err: Error, errors: number): Promise<void> {
    this.lastError = err.message;
    const delay = waitBeforeRetryMs(errors, err, this.retryLimits);
    this.changed();
    if (errors % 10 === 1) {
      this.logger.error(
        { err, sink: this.sink.name, failures: errors, retry_ms: delay },
        'decision log shipping failed; retrying',
      );
    }
    await this.sleep(delay);
  }

  private recovered(errors: number): void {
    this.logger.info({ sink: this.sink.name, after_failures: errors }, 'decision log shipping recovered');
    if (this.counts.consecutive === 0) this.lastError = null;
    this.changed();
  }

  // The next events after the cursor, bounded by count and by uncompressed size.
  private async nextBatch(): Promise<Batch> {
    const events: string[] = [];
    let bytes = 0;
    let lastSeq = this.cursor;
    let lastHash = this.cursorHash;
    let firstSeq = this.cursor + 1;
    while (events.length < this.batchLimit) {
      const slice = this.reader.eventsAfter(lastSeq, Math.min(SLICE, this.batchLimit - events.length));
      if (slice.length === 0) break;
      if (events.length === 0) firstSeq = slice[0]!.seq;
      for (const event of slice) {
        // One event larger than max_bytes still goes, alone: skipping it would lose it.
        if (events.length > 0 && bytes + event.json.length > this.options.maxBytes)
          return { events, firstSeq, lastSeq, lastHash };
        events.push(event.json);
        bytes += event.json.length;
        lastSeq = event.seq;
        lastHash = event.hash;
      }
      // Lets a stop request in between slices.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { events, firstSeq, lastSeq, lastHash };
  }

  // Returns true once the sink acknowledged, false when stopped before it did or when the batch must be read again
  // smaller.
  private async deliverWithRetry(events: string[]): Promise<boolean> {
    for (;;) {
      try {
        await this.sink.deliver(events);
        return true;
      } catch (err) {
        this.counts.failed += 1;
        this.counts.consecutive += 1;
        this.lastError = (err as Error).message;
        if (this.halved(err, events.length)) return false;
        const delay = waitBeforeRetryMs(this.counts.consecutive, err, this.retryLimits);
        // The first failure of a run and then every tenth: an hour-long outage is not a log flood.
        this.changed();
        if (this.counts.consecutive % 10 === 1) {
          this.logger.warn(
            { sink: this.sink.name, err: this.lastError, failures: this.counts.consecutive, retry_ms: delay },
            'decision log delivery failed; retrying',
          );
        }
        if (this.stopped) return false;
        await this.sleep(delay);
        if (this.stopped) return false;
      }
    }
  }

  // A body size limit in front of the collector (nginx: 1 MiB by default) refuses the same batch every time: halve
  // the batches from then on, down to one event, which is retried as it is (skipping it would lose it).
  private halved(err: unknown, sent: number): boolean {
    if (!(err instanceof DeliveryError) || err.status !== 413 || sent === 1) return false;
    this.batchLimit = Math.ceil(sent / 2);
    this.changed();
    this.logger.warn(
      { sink: this.sink.name, max_events: this.batchLimit },
      'the decision log service refused a batch as too large (413); sending smaller batches',
    );
    return true;
  }

  // The sink has the batch: the cursor moves past it (the caller saves it, then reports), and the counts follow.
  private acknowledged({ firstSeq, lastSeq, lastHash, events }: Batch): void {
    if (firstSeq > this.cursor + 1) {
      // Retention pruned records before this sink got them: say so, the collector has a gap.
      this.logger.error(
        { sink: this.sink.name, from_seq: this.cursor + 1, to_seq: firstSeq - 1 },
        'audit records were pruned before they were shipped',
      );
    }
    this.cursor = lastSeq;
    this.cursorHash = lastHash;
    this.counts.shipped += events.length;
    if (this.counts.consecutive > 0) {
      this.logger.info(
        { sink: this.sink.name, after_failures: this.counts.consecutive },
        'decision log delivery recovered',
      );
    }
    this.counts.consecutive = 0;
    this.lastError = null;
    this.lastSuccessMs = Date.now();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
