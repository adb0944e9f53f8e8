import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ModelgateError, ReasonCode, RequestError, UnavailableError } from '../errors';
import type { ReasonCode as ReasonCodeType } from '../errors/reason-codes';
import { unpackResult, type PackedResult } from './packed-result';
import { collectLeaves } from './payload-leaves';
import { screenPayload, type ScreeningResult, type ScreenOptions } from './screen-payload';
import { newWorker } from '../threads/new-worker';

/** What a screening thread is sent. */
export interface ScreenRequest {
  id: number;
  payload: unknown;
  maxChars: number;
}

/** What it answers: the result, or the error screening threw. */
export type ScreenResponse =
  | { id: number; result: PackedResult }
  | { id: number; error: { code?: string; status?: number; message: string; details?: unknown } };

/** Options of a ScreeningPool. */
export interface ScreeningPoolOptions {
  /** Payloads whose string values total at most this many characters are screened on the event loop. */
  inlineChars?: number;
  /** Longest a payload may wait and be screened off the loop; beyond, screening_timeout (a deny). */
  budgetMs?: number;
  /** Screening threads. */
  threads?: number;
  /**
   * Small payloads, too, go to a thread when one is idle and none waits (else they are screened inline): on a
   * machine with a core to spare this takes screening off the event loop, the busiest thread under load.
   * Default: true when the machine has two cores or more.
   */
  shareSmall?: boolean;
  logger?: Logger;
}

/** Default of inlineChars: 16 KiB of text screens in well under a millisecond when it is ordinary text. */
export const DEFAULT_INLINE_CHARS = 16384;
/** Default of budgetMs. */
export const DEFAULT_SCREENING_BUDGET_MS = 2000;

interface Task {
  request: ScreenRequest;
  budgetMs: number;
  resolve: (result: ScreeningResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  thread?: Thread;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  /** The large payload it is screening, if any. */
  task?: Task;
  /** Small payloads sent to it and not yet answered, by request id (see MAX_SMALL_IN_FLIGHT). */
  small: Map<number, Task>;
}

/**
 * How many small payloads a thread may hold at once. Many: under load the event loop takes dozens of requests
 * per turn and reads a thread's answers only on the next, so a thread limited to one or four took a fifth of
 * them; 32 move nearly all of screening off the loop (measured: 424 → 293 µs of event-loop CPU per decision),
 * and a large payload waits behind at most 32 small ones, a few milliseconds.
 */
export const MAX_SMALL_IN_FLIGHT = 32;

/**
 * Screens payloads off the event loop when they are large: screening is linear in the text, but 256 KiB of text
 * built to stress the rules takes tens to hundreds of milliseconds, which on the event loop would hold every
 * other request (and /health) for that long. Small payloads, the common case, go to a thread only when one is
 * idle (`shareSmall`): under load that moves a third of a decision's event-loop time to another core, and a
 * small payload never queues behind a large one. A payload gets `budgetMs` from submission (queueing included);
 * when it runs out the decision fails closed with `screening_timeout` (503, recorded like every deny) and a
 * thread still working on it is replaced, so a hostile payload cannot keep a thread. The threads start with the
 * first payload that may use them (each compiles the rule set, a fraction of a second; meanwhile small payloads
 * are screened inline, and a large one waits inside its budget).
 */
export class ScreeningPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Task[] = [];
  private readonly inlineChars: number;
  private readonly budgetMs: number;
  private readonly logger?: Logger;
  private readonly maxThreads: number;
  private readonly shareSmall: boolean;
  /** How many payloads were screened inline and how many on a thread, since the pool was made. */
  readonly screened = { inline: 0, threaded: 0 };
  private nextId = 1;
  private closed = false;

  constructor(options: ScreeningPoolOptions = {}) {
    this.inlineChars = options.inlineChars ?? DEFAULT_INLINE_CHARS;
    this.budgetMs = options.budgetMs ?? DEFAULT_SCREENING_BUDGET_MS;
    this.logger = options.logger;
    this.maxThreads = options.threads ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.shareSmall = options.shareSmall ?? availableParallelism() >= 2;
  }

  /**
   * Returns screenPayload's result for `payload`: inline when its text is small, else from a thread. Throws
   * what screenPayload throws (413 payload_too_large), and UnavailableError(screening_timeout) when the budget
   * (`budgetMs`, default the pool's) runs out.
   */
  async screen(
    payload: unknown,
    options: ScreenOptions = {},
    budgetMs = this.budgetMs,
  ): Promise<ScreeningResult> {
    const maxChars = options.maxChars ?? Number.MAX_SAFE_INTEGER;
    // The walk also enforces maxChars, before anything is sent anywhere.
    const { chars } = collectLeaves(payload, maxChars);
    if (this.closed) return this.inline(payload, maxChars);
    if (chars <= this.inlineChars) {
      if (!this.shareSmall) return this.inline(payload, maxChars);
      this.start();
      // A small payload never waits for a thread: a busy pool (a large payload, or threads still compiling the
      // rules) would only add its queueing to a screening that takes a fraction of a millisecond inline.
      const idle = this.threads.find(
        (t) => t.ready && t.task === undefined && t.small.size < MAX_SMALL_IN_FLIGHT,
      );
      if (this.queue.length > 0 || idle === undefined) return this.inline(payload, maxChars);
      return this.submit(payload, maxChars, budgetMs, (task) => {
        task.thread = idle;
        idle.small.set(task.request.id, task);
        idle.worker.postMessage(task.request);
      });
    }
    this.start();
    return this.submit(payload, maxChars, budgetMs, (task) => {
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Ends the threads; later calls screen inline. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) this.fail(task, timeoutError(task.budgetMs));
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private submit(
    payload: unknown,
    maxChars: number,
    budgetMs: number,
    send: (task: Task) => void,
  ): Promise<ScreeningResult> {
    this.screened.threaded++;
    return new Promise<ScreeningResult>((resolve, reject) => {
      const request: ScreenRequest = { id: this.nextId++, payload, maxChars };
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

  private inline(payload: unknown, maxChars: number): ScreeningResult {
    this.screened.inline++;
    return screenPayload(payload, { maxChars });
  }

  /** Starts the threads (once): with the first large payload, or the first payload when small ones are shared. */
  private start(): void {
    while (this.threads.length < this.maxThreads) this.threads.push(this.spawn());
  }

  private spawn(): Thread {
    const thread: Thread = {
      worker: newWorker(__dirname, 'screening-worker'),
      ready: false,
      small: new Map(),
    };
    thread.worker.unref();
    thread.worker.on('message', (message: ScreenResponse | { ready: true }) => {
      if ('ready' in message) {
        thread.ready = true;
        this.dispatch();
        return;
      }
      const small = thread.small.get(message.id);
      if (small !== undefined) {
        thread.small.delete(message.id);
        settle(small, message);
        return;
      }
      const task = thread.task;
      thread.task = undefined;
      if (task !== undefined && task.request.id === message.id) settle(task, message);
      this.dispatch();
    });
    thread.worker.on('error', (err) => {
      this.logger?.error({ err }, 'a screening thread failed; starting another');
      this.replace(thread);
    });
    return thread;
  }

  private dispatch(): void {
    for (const thread of this.threads) {
      if (!thread.ready || thread.task !== undefined) continue;
      const task = this.queue.shift();
      if (task === undefined) return;
      thread.task = task;
      task.thread = thread;
      thread.worker.postMessage(task.request);
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
    this.fail(task, timeoutError(task.budgetMs));
  }

  private replace(thread: Thread, expired?: Task): void {
    const at = this.threads.indexOf(thread);
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

function settle(task: Task, message: ScreenResponse): void {
  clearTimeout(task.timer);
  if ('result' in message) task.resolve(unpackResult(message.result));
  else task.reject(toError(message.error));
}

function timeoutError(budgetMs: number): UnavailableError {
  return new UnavailableError(
    ReasonCode.ScreeningTimeout,
    `screening the payload took longer than ${budgetMs} ms`,
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
