import { ReasonCode, RequestError, UnavailableError } from '../errors';
import { runOnThread } from '../threads/run-on-thread';
import type { ReplayReport } from './replay-report';
import type { ReplayThreadData, ReplayThreadReply } from './replay-thread';

/** How long one replay may run by default (replay.timeout_seconds). */
export const DEFAULT_REPLAY_TIMEOUT_SECONDS = 300;

/**
 * Runs replays on a worker thread each, one at a time, each stopped at its deadline. One at a time: a replay
 * takes a whole core, and on a 2-core host two would leave the decisions little.
 */
export class ReplayRunner {
  private running = false;

  constructor(private readonly timeoutSeconds: number) {}

  /** Returns the report; throws 503 replay_busy, 503 replay_timeout, or 400 for a candidate that does not load. */
  async run(data: ReplayThreadData): Promise<ReplayReport> {
    if (this.running) {
      throw new UnavailableError(
        ReasonCode.ReplayBusy,
        'another replay is running; one runs at a time, try again when it ends',
      );
    }
    this.running = true;
    try {
      return await this.onThread(data);
    } finally {
      this.running = false;
    }
  }

  private async onThread(data: ReplayThreadData): Promise<ReplayReport> {
    const reply = await runOnThread<ReplayThreadReply>(__dirname, 'replay-thread', data, {
      what: 'the replay thread',
      deadlineMs: this.timeoutSeconds * 1000,
      timedOut: () => this.timedOut(),
    });
    if (!reply.ok) throw failure(reply);
    return reply.report;
  }

  private timedOut(): UnavailableError {
    return new UnavailableError(
      ReasonCode.ReplayTimeout,
      `the replay did not finish within ${this.timeoutSeconds} s (replay.timeout_seconds) and was stopped; ` +
        'narrow it with since, until, subject or limit',
    );
  }
}

function failure(reply: Extract<ReplayThreadReply, { ok: false }>): Error {
  if (reply.kind === 'candidate') {
    return new RequestError(
      ReasonCode.BodyInvalid,
      400,
      `the candidate bundle does not load: ${reply.message}`,
    );
  }
  return new Error(`the replay failed: ${reply.message}`);
}
