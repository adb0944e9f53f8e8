import { newWorker } from './new-worker';

export interface ThreadRunOptions {
  /** Names the thread in errors: "the replay thread". */
  what: string;
  /** Stops the thread and rejects after this long; none by default. */
  deadlineMs?: number;
  /** The error a run past its deadline rejects with; by default one that names the thread and the deadline. */
  timedOut?: () => Error;
}

/**
 * Starts the worker thread `name` of `dir` (see newWorker) with `data`, resolves with the first message it
 * posts, and terminates it. Rejects if the thread throws, ends without posting, or outlives the deadline, so a
 * caller never waits on a thread that will not answer.
 */
export function runOnThread<Reply>(
  dir: string,
  name: string,
  data: unknown,
  options: ThreadRunOptions,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const worker = newWorker(dir, name, data);
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      void worker.terminate();
      outcome();
    };
    const deadline =
      options.deadlineMs === undefined
        ? undefined
        : setTimeout(
            () => settle(() => reject(options.timedOut?.() ?? pastDeadline(options))),
            options.deadlineMs,
          );
    worker.once('message', (reply: Reply) => settle(() => resolve(reply)));
    worker.once('error', (err) =>
      settle(() => reject(new Error(`${options.what} failed: ${err.message}`, { cause: err }))),
    );
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`${options.what} ended (exit code ${code}) without an answer`))),
    );
  });
}

function pastDeadline(options: ThreadRunOptions): Error {
  return new Error(`${options.what} did not finish within ${options.deadlineMs} ms and was stopped`);
}
