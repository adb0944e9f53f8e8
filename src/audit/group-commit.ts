/** Commits one batch in one transaction; returns, per item, the error that refused just that item. */
export type CommitBatch<T> = (items: T[]) => (Error | undefined)[];

/** How a GroupCommitQueue batches and reports. */
export interface GroupCommitOptions<T> {
  commit: CommitBatch<T>;
  /** Turns a failed commit into the error every caller of that batch receives. */
  failure: (err: unknown, batchSize: number) => Error;
  /** Upper bound on one transaction, so one commit never holds the event loop for long. */
  maxBatch: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Group commit on a synchronous database. better-sqlite3 blocks while it commits, so requests that
 * arrive meanwhile queue up in the event loop; everything enqueued during one loop turn is written by
 * a single transaction (one fsync) on setImmediate, and each caller's promise settles after it.
 */
export class GroupCommitQueue<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Immediate | undefined;

  constructor(private readonly options: GroupCommitOptions<T>) {}

  /** Returns a promise that settles once the item's batch has committed (or failed). */
  enqueue(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.timer ??= setImmediate(() => this.flushScheduled());
    });
  }

  /** Commits everything queued now, in batches of at most maxBatch. */
  flushAll(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) this.commitOne();
  }

  private flushScheduled(): void {
    this.timer = undefined;
    this.commitOne();
    // More than one batch waiting: let I/O run between commits rather than draining in one go.
    if (this.pending.length > 0) this.timer = setImmediate(() => this.flushScheduled());
  }

  private commitOne(): void {
    const batch = this.pending.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    let refused: (Error | undefined)[];
    try {
      refused = this.options.commit(batch.map((entry) => entry.item));
    } catch (err) {
      const failure = this.options.failure(err, batch.length);
      for (const entry of batch) entry.reject(failure);
      return;
    }
    batch.forEach((entry, i) => {
      const error = refused[i];
      if (error) entry.reject(error);
      else entry.resolve();
    });
  }
}
