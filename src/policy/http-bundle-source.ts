import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActiveBundle } from './active-bundle';
import { readTarball } from './bundle';
import type { HttpSourceConfig } from './bundle-config';
import { downloadBundle } from './bundle-download';
import { persistBundle, readPersistedBundle } from './bundle-persistence';
import type { BundleSource } from './bundle-source';

// OPA's retry backoff starts at 100 ms and doubles up to max_delay_seconds.
const MIN_RETRY_MS = 100;

/**
 * Polls an OPA bundle service. The ETag of the bundle in force goes in `If-None-Match`, so an
 * unchanged bundle costs a 304. Between polls it waits a random time between the configured min
 * and max delays (spreading a fleet's requests); after an error it backs off exponentially from
 * 100 ms up to the max delay; when the server answered with OPA's long-polling content type and
 * `long_polling_timeout_seconds` is set, it asks again at once with `Prefer: wait=N`. Like OPA,
 * it forgets the ETag after an error, so a refused bundle is downloaded again, not skipped.
 */
export class HttpBundleSource implements BundleSource {
  private etag: string | null = null;
  /** SHA-256 of the tarball in force, so the same bytes again count as unchanged. */
  private activeDigest: string | null = null;
  private longPoll = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly active: ActiveBundle,
    private readonly config: HttpSourceConfig,
    private readonly options: { logger: Logger; now?: () => number; random?: () => number },
  ) {}

  async start(): Promise<void> {
    if (this.config.persist) await this.activatePersisted();
    const first = await this.poll();
    this.loop = this.run(first);
  }

  async reload(): Promise<void> {
    const error = await this.poll();
    if (error) throw error;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  // A restart while the server is down serves the bundle that was last in force.
  private async activatePersisted(): Promise<void> {
    const saved = await readPersistedBundle(this.config.persistDir);
    if (!saved) return;
    const origin = `persisted:${this.config.persistDir}`;
    let files;
    try {
      files = await readTarball(saved.body, origin);
    } catch (err) {
      this.active.noteError(err, origin);
      return;
    }
    // A refusal is recorded by activate(); the server may still have a good bundle.
    await this.active
      .activate(files, { origin, downloadedAtMs: saved.downloadedAtMs, etag: saved.etag })
      .then(() => {
        this.etag = saved.etag;
        this.activeDigest = digest(saved.body);
      })
      .catch(() => undefined);
  }

  private async run(firstError: Error | undefined): Promise<void> {
    let retries = firstError ? 1 : 0;
    while (!this.abort.signal.aborted) {
      await this.sleep(retries > 0 ? this.backoffMs(retries - 1) : this.pollDelayMs());
      if (this.abort.signal.aborted) return;
      const error = await this.poll();
      retries = error ? retries + 1 : 0;
    }
  }

  // Polls run one after another (SIGHUP may coincide with the timer), so activations keep their order.
  private poll(): Promise<Error | undefined> {
    const next = this.queue.then(() => this.pollOnce());
    this.queue = next.then(() => undefined);
    return next;
  }

  // Returns the error of this attempt (already recorded in the status), or undefined.
  private async pollOnce(): Promise<Error | undefined> {
    const now = this.now();
    this.active.noteRequest(now);
    const waitSeconds = this.longPoll ? this.config.polling.longPollingTimeoutSeconds : undefined;
    let body: Buffer;
    let etag: string | null;
    let files;
    try {
      const result = await downloadBundle(this.config, {
        etag: this.etag,
        waitSeconds,
        signal: this.abort.signal,
      });
      this.longPoll = result.longPoll;
      if (result.status === 304) {
        this.etag = result.etag;
        return undefined;
      }
      ({ body, etag } = result);
      // A server without ETags, or one that ignores If-None-Match, sends the bundle in force again: as a 304,
      // not a new activation (with long polling that was a WASM load on the event loop back to back).
      if (digest(body) === this.activeDigest) {
        this.etag = etag;
        this.active.noteUnchanged();
        return undefined;
      }
      files = await readTarball(body, this.url());
    } catch (err) {
      this.etag = null;
      if (this.abort.signal.aborted) return undefined;
      this.active.noteError(err, this.url());
      return err as Error;
    }
    const downloadedAtMs = this.now();
    try {
      await this.active.activate(files, { origin: this.url(), downloadedAtMs, etag });
    } catch (err) {
      this.etag = null; // recorded by activate()
      return err as Error;
    }
    this.etag = etag;
    this.activeDigest = digest(body);
    if (this.config.persist) {
      await persistBundle(this.config.persistDir, { body, etag, downloadedAtMs }).catch((err: unknown) =>
        this.options.logger.warn(
          { err, dir: this.config.persistDir },
          'cannot persist the bundle; a restart with the server down will have no policy',
        ),
      );
    }
    return undefined;
  }

  private url(): string {
    return `${this.config.url}/${this.config.resource}`;
  }

  private pollDelayMs(): number {
    if (this.longPoll && this.config.polling.longPollingTimeoutSeconds) return 0;
    const { minDelaySeconds: min, maxDelaySeconds: max } = this.config.polling;
    return (min + (max - min) * this.random()) * 1000;
  }

  private backoffMs(retry: number): number {
    const capMs = this.config.polling.maxDelaySeconds * 1000;
    const base = Math.min(capMs, MIN_RETRY_MS * 2 ** retry);
    return Math.min(capMs, base * (0.5 + this.random()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }
}

function digest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
