/** Where a batch of decision-log events goes; resolves only once the destination has it. */
export interface DecisionLogSink {
  /** Stable name: the cursor file and the metrics label. */
  readonly name: string;
  /** Delivers one batch (each event a JSON text, in order); rejects when it was not acknowledged. */
  deliver(events: string[]): Promise<void>;
  /** Releases what the sink holds (sockets, file handles). */
  close(): Promise<void>;
}

/** A delivery the destination refused or did not acknowledge; the batch is retried. */
export class DeliveryError extends Error {
  /** How long the service asked to be left alone (its Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
