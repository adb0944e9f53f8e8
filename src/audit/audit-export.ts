import type { Writable } from 'node:stream';
import { ExportAbortedError } from './audit-errors';
import type { ExportOptions, ExportProgress, StoredAuditRecord } from './audit-store';
import type { Db } from './database';
import { csvHeader, csvLine, jsonlLine } from './export-formats';
import { parseRange } from './time-range';

const CHUNK_CHARS = 64 * 1024;
const PROGRESS_EVERY = 1000;

type ExportRow = { seq: number; record: string; prev_hash: string; hash: string };

/**
 * Streams matching records (oldest first, by timestamp then seq) to `out` and returns how many it
 * wrote. Rows come from stmt.iterate() and lines go out in chunks that wait for 'drain' when `out`
 * pushes back, so memory stays flat however many records there are. Does not end `out`.
 * Runs in one read transaction: use a connection of its own (the iterator stays open across awaits).
 */
export async function exportRecords(
  db: Db,
  options: ExportOptions,
  out: Writable,
  onProgress?: (progress: ExportProgress) => void,
): Promise<ExportProgress> {
  const { fromMs, toMs } = parseRange(options.from, options.to);
  const labels = { app: 'modelgate', ...options.labels };
  const line = options.format === 'csv' ? csvLine : (record: StoredAuditRecord) => jsonlLine(record, labels);
  const statement = db.prepare(
    `SELECT seq, record, prev_hash, hash FROM audit_records
     WHERE ts_ms >= @fromMs AND ts_ms < @toMs ORDER BY ts_ms, seq`,
  );
  let chunk = options.format === 'csv' ? csvHeader() : '';
  let records = 0;
  const sink = new BackpressuredSink(out);
  db.exec('BEGIN');
  try {
    for (const row of statement.iterate({
      fromMs: fromMs ?? Number.MIN_SAFE_INTEGER,
      toMs: toMs ?? Number.MAX_SAFE_INTEGER,
    }) as IterableIterator<ExportRow>) {
      const record = JSON.parse(row.record) as StoredAuditRecord;
      chunk += line({ ...record, seq: row.seq, prev_hash: row.prev_hash, hash: row.hash });
      records += 1;
      if (chunk.length >= CHUNK_CHARS) {
        await sink.write(chunk);
        chunk = '';
      }
      if (records % PROGRESS_EVERY === 0) onProgress?.({ records });
    }
    if (chunk.length > 0) await sink.write(chunk);
  } finally {
    sink.release();
    db.exec('ROLLBACK');
  }
  onProgress?.({ records });
  return { records };
}

// Writes that wait for 'drain' when the stream pushes back, and fail (instead of hanging or
// crashing the process with an unhandled 'error') if the stream errors or closes at any point.
class BackpressuredSink {
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onError = (err: Error) => this.fail(new ExportAbortedError(err.message, { cause: err }));
  private readonly onClose = () =>
    this.fail(new ExportAbortedError('the output stream closed before the export finished'));
  private readonly onDrain = () => this.wake?.();

  constructor(private readonly out: Writable) {
    out.on('error', this.onError);
    out.on('close', this.onClose);
    out.on('drain', this.onDrain);
  }

  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.out.destroyed || this.out.writableEnded)
      throw new ExportAbortedError('the output stream is closed');
    const more = this.out.write(chunk);
    // Even a sink that never pushes back must not hold the event loop for the whole export.
    await new Promise<void>((resolve) => (more ? setImmediate(resolve) : (this.wake = resolve)));
    this.wake = undefined;
    if (this.failure) throw this.failure;
  }

  release(): void {
    this.out.off('error', this.onError);
    this.out.off('close', this.onClose);
    this.out.off('drain', this.onDrain);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }
}
