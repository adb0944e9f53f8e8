import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Approval } from './approval';
import type { ApprovalNotifier } from './approval-notifier';
import { approvalSummary } from './approval-summary';

/** Where and how pending approvals are announced. */
export interface WebhookSettings {
  url: string;
  /** HMAC-SHA256 key; the receiver holds the same. */
  secret: string;
  /** Base URL of the console, for the link in the payload (e.g. https://modelgate.corp/console). */
  consoleUrl: () => string;
  /** Attempts per notification, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubled for each later one. */
  backoffMs: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Notifications being delivered at once; more are dropped (and logged), never queued without bound. */
  maxInFlight: number;
}

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-modelgate-signature';

/** Returns the signature header value for a body sent at `unixSeconds`. */
export function signWebhook(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Announces pending approvals with a signed JSON POST. Delivery runs beside the decision, never in
 * its path: pending() returns at once, failures are retried with exponential backoff (network errors,
 * 408, 429 and 5xx; other 4xx are final) and then logged. The signature covers a timestamp so a
 * receiver can refuse replays, as Stripe's and Slack's webhook schemes do.
 */
export class WebhookNotifier implements ApprovalNotifier {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  pending(approval: Approval): void {
    if (this.stop.signal.aborted) return;
    if (this.inFlight.size >= this.settings.maxInFlight) {
      this.logger.warn(
        { approval_id: approval.id },
        'approval webhook: too many deliveries in flight; dropped',
      );
      return;
    }
    const body = JSON.stringify({
      type: 'approval.pending',
      approval: approvalSummary(approval, false),
      link: `${this.settings.consoleUrl()}#/approvals/${approval.id}`,
    });
    const delivery = this.deliver(approval.id, body).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(approvalId: string, body: string): Promise<void> {
    const delivery = randomUUID();
    const { maxAttempts, backoffMs } = this.settings;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const outcome = await this.attempt(delivery, body);
      if (outcome === 'delivered') return;
      if (outcome === 'final' || attempt === maxAttempts || this.stop.signal.aborted) {
        this.logger.error({ approval_id: approvalId, delivery, attempt }, 'approval webhook: not delivered');
        return;
      }
      await sleep(backoffMs * 2 ** (attempt - 1), this.stop.signal);
    }
  }

  private async attempt(delivery: string, body: string): Promise<'delivered' | 'retry' | 'final'> {
    const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.settings.timeoutMs)]);
    try {
      const res = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-modelgate-event': 'approval.pending',
          'x-modelgate-delivery': delivery,
          [SIGNATURE_HEADER]: signWebhook(this.settings.secret, Math.floor(this.now() / 1000), body),
        },
        body,
        signal,
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'delivered';
      this.logger.warn({ delivery, status: res.status }, 'approval webhook: receiver refused');
      return res.status === 408 || res.status === 429 || res.status >= 500 ? 'retry' : 'final';
    } catch (err) {
      this.logger.warn({ delivery, err: (err as Error).message }, 'approval webhook: delivery failed');
      return 'retry';
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
