import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ModelgateError, ReasonCode, RequestError, UnavailableError } from '../errors';
import type { ReasonCode as ReasonCodeType } from '../errors/reason-codes';
import { isScreeningClass } from './classes';
import { unpackResult, type PackedResult } from './packed-result';
import { collectLeaves } from './payload-leaves';
import { redactPayload, UnknownClassError } from './redact-payload';
import { screenPayload, type ScreeningResult, type ScreenOptions } from './screen-payload';
import { DEFAULT_SCREENING_CACHE_ENTRIES, ScreeningCache } from './screening-cache';
import { newWorker } from '../threads/new-worker';

/** What a screening thread is sent. */
export interface ScreenRequest {
  id: number;
  payload: unknown;
  maxChars: number;
  /** Keep the payload for its redaction (a large payload); small ones are redacted inline and never kept. */
  keep: boolean;
  /** The caller's scope in the thread's cache (see screening-cache.ts); absent: not cached. */
  scope?: string;
}

/** Options of ScreeningPool.screen: screenPayload's, the cache being the pool's (and its threads'). */
export type PoolScreenOptions = Omit<ScreenOptions, 'cache'>;

/** What it answers: the result, or the error screening threw. */
export type ScreenResponse =
  | { id: number; result: PackedResult; lookups: CacheLookups }
  | { id: number; error: { code?: string; status?: number; message: string; details?: unknown } };

/** How often a cache was asked for a text's findings, and how often it had them, since it was made. */
export interface CacheLookups {
  hits: number;
  misses: number;
}

/**
 * What a screening thread is sent to redact a payload screened on a thread (the ScreenRequest `screenId`): the
 * payload and that screening's result, or neither when it goes to the thread that screened it, which keeps the
 * last two payloads it screened.
 */
export interface RedactRequest {
  id: number;
  payload?: unknown;
  redact: { screenId: number; result?: PackedResult; classes: readonly string[]; format: string };
}

/** What it answers to a RedactRequest (or a ScreenResponse error): `missing` when it no longer keeps the payload. */
export type RedactResponse = { id: number; redacted: unknown } | { id: number; missing: true };

/** Options of a ScreeningPool. */
export interface ScreeningPoolOptions {
  /**
   * Payloads whose texts (`chars`: string values, keys, numbers) total at most this many, in at most a quarter as
   * many values (VALUE_CHARS), are screened on the event loop.
   */
  inlineChars?: number;
  /** Longest a payload may wait and be screened off the loop; beyond, screening_timeout (a deny). */
  budgetMs?: number;
  /** Screening threads; absent or 0: defaultScreeningThreads(). */
  threads?: number;
  /**
   * Small payloads, too, go to a thread when one is idle and none waits (else they are screened inline): on a
   * machine with a core to spare this takes screening off the event loop, the busiest thread under load.
   * Default: true when the machine has two cores or more.
   */
  shareSmall?: boolean;
  /** Texts each screening thread (and the event loop) remembers the findings of; 0: none. */
  cacheEntries?: number;
  logger?: Logger;
}

/** Default of inlineChars: 16 KiB of text screens in well under a millisecond when it is ordinary text. */
export const DEFAULT_INLINE_CHARS = 16384;

/**
 * What one value of a payload (a string, number, key, container, boolean or null) counts for against inlineChars:
 * a payload is small only when its values number at most inlineChars / VALUE_CHARS too. Walking, screening and
 * copying a value costs about as much as screening a few characters of text, so an authenticated caller's megabyte
 * of empty strings or booleans (no text at all) held the event loop about 0.4 s per request inline.
 */
export const VALUE_CHARS = 4;
/** Default of budgetMs. */
export const DEFAULT_SCREENING_BUDGET_MS = 2000;

/** Returns the default number of screening threads: cores less one (the event loop's), at most 4, at least 1. */
export function defaultScreeningThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

interface Task {
  request: ScreenRequest | RedactRequest;
  budgetMs: number;
  resolve: (result: ScreeningResult) => void;
  /** Set on a redaction: takes the redacted payload (its `resolve` refuses a screening result). */
  resolveRedacted?: (payload: unknown) => void;
  /** What runs out of time, for the screening_timeout message; default 'screening'. */
  step?: string;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  thread?: Thread;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  /** The large payload it is screening, if any. */
  task?: Task;
  /** Small payloads sent to it whose answer the event loop has not read yet, by request id. */
  small: Map<number, Task>;
  /** Messages (screenings, redactions) posted to it. */
  sent: number;
  /** Messages it has finished, counted by the thread itself in shared memory (see backlog()). */
  finished: Int32Array;
  /** Its cache's counts, as of its latest answer. */
  lookups: CacheLookups;
}

/**
 * How many messages a thread may have still to work through for a small payload to be sent to it. Counted from
 * what the thread has finished, not from the answers the event loop has read: under load the loop takes dozens
 * of requests per turn and reads answers only on the next, and a thread counted busy until then took a fifth of
 * the small payloads. At most sixteen queued: with a caller's earlier texts cached a small payload takes about
 * 50 µs, so it waits under a millisecond for its thread, and one whose thread is stalled (no core free) is
 * screened inline instead of waiting behind it. (Eight before the cache; 16 and 32 measured 1.04× and 1.02×
 * the decisions per second of 8, bench/RESULTS.md "Fifth round".)
 */
export const MAX_SMALL_BACKLOG = 16;

/** How many messages a thread has been sent and not finished. */
function backlog(thread: Thread): number {
  return thread.sent - Atomics.load(thread.finished, 0);
}

/**
 * Screens payloads off the event loop when they are large: screening is linear in the text, but 256 KiB of text
 * built to stress the rules takes tens to hundreds of milliseconds, which on the event loop would hold every
 * other request (and /health) for that long. Small payloads, the common case, go to a thread only when one is
 * idle (`shareSmall`): under load that moves a third of a decision's event-loop time to another core, and a
 * small payload never queues behind a large one. A payload gets `budgetMs` from submission (queueing included);
 * when it runs out the decision fails closed with `screening_timeout` (503, recorded like every deny) and a
 * thread still working on it is replaced, so a hostile payload cannot keep a thread. The threads start with the
 * first payload that may use them (each compiles the rule set, a fraction of a second; meanwhile small payloads
 * are screened inline, and a large one waits inside its budget). A large payload screened on a thread is
 * redacted on one too (redact()), with a budget of its own; a small one is redacted inline.
 */
export class ScreeningPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Task[] = [];
  private readonly inlineChars: number;
  private readonly budgetMs: number;
  private readonly logger?: Logger;
  private readonly maxThreads: number;
  private readonly shareSmall: boolean;
  /** The event loop's own cache, for what it screens inline. */
  readonly cache: ScreeningCache;
  /** How many payloads were screened inline and how many on a thread, since the pool was made. */
  readonly screened = { inline: 0, threaded: 0 };
  /** Results that came from a thread: the packed form they came in, the thread and the ScreenRequest id. */
  private readonly screenedOnThread = new WeakMap<
    ScreeningResult,
    { packed: PackedResult; thread: Thread; screenId: number }
  >();
  private nextId = 1;
  private closed = false;
  /** What the caches of threads that were replaced had counted. */
  private readonly retired: CacheLookups = { hits: 0, misses: 0 };

  constructor(options: ScreeningPoolOptions = {}) {
    this.inlineChars = options.inlineChars ?? DEFAULT_INLINE_CHARS;
    this.budgetMs = options.budgetMs ?? DEFAULT_SCREENING_BUDGET_MS;
    this.logger = options.logger;
    this.maxThreads = options.threads || defaultScreeningThreads();
    this.shareSmall = options.shareSmall ?? availableParallelism() >= 2;
    this.cache = new ScreeningCache(options.cacheEntries ?? DEFAULT_SCREENING_CACHE_ENTRIES);
  }

  /**
   * Returns screenPayload's result for `payload`: inline when its text and its count of values are small, else
   * from a thread. Throws what screenPayload throws (413 payload_too_large), and UnavailableError(screening_timeout)
   * when the budget (`budgetMs`, default the pool's) runs out.
   */
  async screen(
    payload: unknown,
    options: PoolScreenOptions = {},
    budgetMs = this.budgetMs,
  ): Promise<ScreeningResult> {
    const maxChars = options.maxChars ?? Number.MAX_SAFE_INTEGER;
    const { scope } = options;
    // The walk also enforces maxChars, before anything is sent anywhere.
    const { chars, values } = collectLeaves(payload, maxChars);
    if (this.closed) return this.inline(payload, maxChars, scope);
    if (chars <= this.inlineChars && values <= this.inlineChars / VALUE_CHARS) {
      if (!this.shareSmall) return this.inline(payload, maxChars, scope);
      this.start();
      // A small payload never waits for a thread: a busy pool (a large payload, or threads still compiling the
      // rules) would only add its queueing to a screening that takes a fraction of a millisecond inline.
      const idle = this.threads.find(
        (t) => t.ready && t.task === undefined && backlog(t) < MAX_SMALL_BACKLOG,
      );
      if (this.queue.length > 0 || idle === undefined) return this.inline(payload, maxChars, scope);
      return this.submit({ payload, maxChars, keep: false, scope }, budgetMs, (task) => {
        task.thread = idle;
        idle.small.set(task.request.id, task);
        post(idle, task.request);
      });
    }
    this.start();
    return this.submit({ payload, maxChars, keep: true, scope }, budgetMs, (task) => {
      this.queue.push(task);
      this.dispatch();
    });
  }

  /**
   * Returns `redactPayload(payload, result, classes, format)`, computed on a thread when `result` came from one
   * (the payload was over the inline limit): redaction copies the whole payload, about 7 ms for 4,000 messages,
   * which on the event loop would hold every other request. A result screened inline is redacted inline; a
   * payload with no span of `classes` comes back as it is (nothing to copy). Throws UnknownClassError for a
   * class screening does not know, and UnavailableError(screening_timeout) when the budget (`budgetMs`,
   * default the pool's, counted from this call) runs out: never the payload unredacted.
   */
  async redact(
    payload: unknown,
    result: ScreeningResult,
    classes: readonly string[],
    format: string,
    budgetMs = this.budgetMs,
  ): Promise<unknown> {
    const screened = this.screenedOnThread.get(result);
    if (screened === undefined || this.closed) return redactPayload(payload, result, classes, format);
    const unknown = classes.filter((c) => !isScreeningClass(c));
    if (unknown.length > 0) throw new UnknownClassError(unknown);
    const wanted = new Set(classes);
    if (!result.spans.some((span) => wanted.has(span.class))) return payload;
    while (this.threads.length < this.maxThreads) this.threads.push(this.spawn());
    return new Promise<unknown>((resolve, reject) => {
      const redact = { screenId: screened.screenId, classes, format };
      const request: RedactRequest = {
        id: this.nextId++,
        payload,
        redact: { ...redact, result: screened.packed },
      };
      const task: Task = {
        request,
        resolve: () =>
          reject(toError({ message: 'the screening thread answered a redaction with findings' })),
        resolveRedacted: resolve,
        reject,
        budgetMs,
        step: 'redacting',
        timer: setTimeout(() => this.expire(task), budgetMs),
      };
      // The thread that screened the payload still has it: when that thread is free, only the names of what to
      // redact go to it, and the copy there costs the event loop nothing. Otherwise any thread, sent it all.
      const thread = screened.thread;
      if (this.threads.includes(thread) && thread.ready && thread.task === undefined) {
        thread.task = task;
        task.thread = thread;
        post(thread, { id: request.id, redact } satisfies RedactRequest);
        return;
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /**
   * Returns how often the caches of the event loop and of every screening thread this pool ran were asked for a
   * text's findings, and how often they had them: for /metrics, to size `screening.cache_entries`.
   */
  cacheLookups(): CacheLookups {
    const all = { hits: 0, misses: 0 };
    for (const counted of [this.cache, this.retired, ...this.threads.map((t) => t.lookups)])
      addLookups(all, counted);
    return all;
  }

  /** Ends the threads; later calls screen inline. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) this.fail(task, timeoutError(task.budgetMs, task.step));
    const threads = this.threads.splice(0);
    for (const thread of threads) this.retire(thread);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** Keeps what a thread's cache counted, for cacheLookups(), when the thread goes. */
  private retire(thread: Thread): void {
    addLookups(this.retired, thread.lookups);
  }

  private submit(
    what: Omit<ScreenRequest, 'id'>,
    budgetMs: number,
    send: (task: Task) => void,
  ): Promise<ScreeningResult> {
    this.screened.threaded++;
    return new Promise<ScreeningResult>((resolve, reject) => {
      const request: ScreenRequest = { id: this.nextId++, ...what };
      const task: Task = {
        request,
        resolve,
        reject,
        budgetMs,
        timer: setTimeout(() => this.expire(task), budgetMs),
      };
      send(task);
    });
  }

  private inline(payload: unknown, maxChars: number, scope: string | undefined): ScreeningResult {
    this.screened.inline++;
    return screenPayload(payload, { maxChars, cache: this.cache, scope });
  }

  /** Starts the threads (once): with the first large payload, or the first payload when small ones are shared. */
  private start(): void {
    while (this.threads.length < this.maxThreads) this.threads.push(this.spawn());
  }

  private spawn(): Thread {
    const finished = new Int32Array(new SharedArrayBuffer(4));
    const thread: Thread = {
      worker: newWorker(__dirname, 'screening-worker', {
        finished: finished.buffer,
        cacheEntries: this.cache.capacity,
      }),
      ready: false,
      small: new Map(),
      sent: 0,
      finished,
      lookups: { hits: 0, misses: 0 },
    };
    thread.worker.unref();
    thread.worker.on('message', (message: ScreenResponse | RedactResponse | { ready: true }) => {
      if ('ready' in message) {
        thread.ready = true;
        this.dispatch();
        return;
      }
      const small = thread.small.get(message.id);
      if (small !== undefined) {
        thread.small.delete(message.id);
        this.settle(small, thread, message);
        return;
      }
      const task = thread.task;
      thread.task = undefined;
      if (task !== undefined && task.request.id === message.id && 'missing' in message) {
        // The thread no longer kept the payload: it goes to the next free thread with everything, same budget.
        this.queue.unshift(task);
      } else if (task !== undefined && task.request.id === message.id) {
        this.settle(task, thread, message);
      }
      this.dispatch();
    });
    thread.worker.on('error', (err) => {
      this.logger?.error({ err }, 'a screening thread failed; starting another');
      this.replace(thread);
    });
    return thread;
  }

  /** Settles a task with its thread's answer. */
  private settle(task: Task, thread: Thread, message: ScreenResponse | RedactResponse): void {
    clearTimeout(task.timer);
    if ('result' in message) {
      thread.lookups = message.lookups;
      const result = unpackResult(message.result);
      // A large payload's result is kept so that redact() knows it is redacted on a thread, and where; a small
      // payload is redacted inline.
      if ('keep' in task.request && task.request.keep)
        this.screenedOnThread.set(result, { packed: message.result, thread, screenId: message.id });
      task.resolve(result);
    } else if ('redacted' in message && task.resolveRedacted) task.resolveRedacted(message.redacted);
    else if ('error' in message) task.reject(toError(message.error));
    else task.reject(toError({ message: 'the screening thread answered a screening with a payload' }));
  }

  private dispatch(): void {
    for (const thread of this.threads) {
      if (!thread.ready || thread.task !== undefined) continue;
      const task = this.queue.shift();
      if (task === undefined) return;
      thread.task = task;
      task.thread = thread;
      post(thread, task.request);
    }
  }

  private expire(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued !== -1) this.queue.splice(queued, 1);
    else if (
      task.thread !== undefined &&
      (task.thread.task === task || task.thread.small.has(task.request.id))
    ) {
      this.logger?.warn({ budget_ms: task.budgetMs }, 'screening ran out of time; replacing its thread');
      this.replace(task.thread, task);
    }
    this.fail(task, timeoutError(task.budgetMs, task.step));
  }

  private replace(thread: Thread, expired?: Task): void {
    const at = this.threads.indexOf(thread);
    this.retire(thread);
    const tasks = [...thread.small.values(), ...(thread.task === undefined ? [] : [thread.task])];
    thread.task = undefined;
    thread.small.clear();
    void thread.worker.terminate();
    for (const task of tasks)
      if (task !== expired) this.fail(task, toError({ message: 'the screening thread stopped' }));
    if (at !== -1 && !this.closed) this.threads[at] = this.spawn();
  }

  private fail(task: Task, err: Error): void {
    clearTimeout(task.timer);
    task.reject(err);
  }
}

function addLookups(into: CacheLookups, counted: CacheLookups): void {
  into.hits += counted.hits;
  into.misses += counted.misses;
}

function post(thread: Thread, message: ScreenRequest | RedactRequest): void {
  thread.sent++;
  thread.worker.postMessage(message);
}

function timeoutError(budgetMs: number, step = 'screening'): UnavailableError {
  return new UnavailableError(
    ReasonCode.ScreeningTimeout,
    `${step} the payload took longer than ${budgetMs} ms`,
  );
}

function toError(error: { code?: string; status?: number; message: string; details?: unknown }): Error {
  if (error.code !== undefined && error.status !== undefined && error.status < 500)
    return new RequestError(error.code as ReasonCodeType, error.status, error.message, {
      details: error.details,
    });
  if (error.code !== undefined && error.status !== undefined)
    return new ModelgateError(error.code as ReasonCodeType, error.status, error.message);
  return new UnavailableError(ReasonCode.ScreeningTimeout, `screening failed: ${error.message}`);
}
