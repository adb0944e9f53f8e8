import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import type { UsageReportV1 } from '../schemas/usage-report.schema';
import {
  ModelgateDenied,
  ModelgateUnavailable,
  type DecisionReason,
  type PendingApproval,
} from './client-errors';
import { DpopSigner, type DpopKey } from './dpop-signer';

/** Returns a bearer token for modelgate; called before every request, so it can refresh (workload identity). */
export type TokenSupplier = () => string | Promise<string>;

/** How to reach modelgate. */
export interface ModelgateClientOptions {
  /** e.g. `https://modelgate.internal:8080` */
  baseUrl: string;
  token: TokenSupplier;
  /** Give up on a request after this long and fail closed (default 5000 ms). */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * For tokens bound to a key (cnf.jkt): sends them as `Authorization: DPoP` with a proof signed by this key on
   * every request (RFC 9449). modelgate refuses such a token as Bearer.
   */
  dpop?: DpopKey;
}

/** The reply of POST /v1/decide with HTTP 200: an allow or a deny. */
export interface Decision {
  decision_id: string;
  allow: boolean;
  reasons: DecisionReason[];
  obligations: { type: string; [key: string]: unknown }[];
  max_tokens: number | null;
  redacted_payload?: NonNullable<DecideRequestV1['payload']>;
  approval?: PendingApproval;
  policy?: { bundle: string; revision: string; entrypoint: string };
}

export type DecideRequest = DecideRequestV1;
export type UsageReport = UsageReportV1;

const DEFAULT_TIMEOUT_MS = 5000;

/** Talks to modelgate: `decide()` before a model call, `reportUsage()` after it. */
export class ModelgateClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly dpop?: DpopSigner;

  constructor(private readonly options: ModelgateClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
    this.dpop = options.dpop && new DpopSigner(options.dpop);
  }

  /**
   * Returns modelgate's decision (allow or deny) for a call. Throws ModelgateDenied when modelgate
   * rejects the request itself (4xx), ModelgateUnavailable when it cannot decide (5xx, timeout, network).
   */
  async decide(request: DecideRequest): Promise<Decision> {
    const { status, body } = await this.post('/v1/decide', request);
    if (status === 200 && typeof body.allow === 'boolean' && typeof body.decision_id === 'string') {
      return body as unknown as Decision;
    }
    throw this.failure(status, body);
  }

  /** Returns when modelgate has recorded what an allowed call used; throws like decide(). */
  async reportUsage(decisionId: string, usage: UsageReport): Promise<void> {
    const { status, body } = await this.post(`/v1/decisions/${encodeURIComponent(decisionId)}/usage`, usage);
    if (status < 200 || status > 299) throw this.failure(status, body);
  }

  private async post(
    route: string,
    payload: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let token: string;
    try {
      token = await this.options.token();
    } catch (err) {
      throw new ModelgateUnavailable('no token for modelgate: the token supplier failed', { cause: err });
    }
    let res: Response;
    let text: string;
    try {
      // One deadline for the whole exchange, the body included: a slow reply is an outage.
      const signal = AbortSignal.timeout(this.timeoutMs);
      const url = `${this.baseUrl}${route}`;
      res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { ...this.credentials('POST', url, token), 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal,
      });
      text = await res.text();
    } catch (err) {
      throw new ModelgateUnavailable(
        `modelgate did not answer within ${this.timeoutMs} ms at ${this.baseUrl}`,
        {
          cause: err,
        },
      );
    }
    try {
      const body = JSON.parse(text) as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new Error('not a JSON object');
      return { status: res.status, body: body as Record<string, unknown> };
    } catch (err) {
      throw new ModelgateUnavailable(`modelgate answered HTTP ${res.status} with a body that is not JSON`, {
        status: res.status,
        cause: err,
      });
    }
  }

  // A fresh proof per request: modelgate refuses a proof it has seen (its jti), and one made for another URL.
  private credentials(method: string, url: string, token: string): Record<string, string> {
    if (!this.dpop) return { authorization: `Bearer ${token}` };
    return { authorization: `DPoP ${token}`, dpop: this.dpop.proof(method, url, token) };
  }

  // 4xx: modelgate looked at the request and refused it (recorded). 5xx or an odd 200: it could not decide.
  private failure(status: number, body: Record<string, unknown>): Error {
    const decisionId = typeof body.decision_id === 'string' ? body.decision_id : undefined;
    const reasons = Array.isArray(body.reasons) ? (body.reasons as DecisionReason[]) : [];
    if (status >= 400 && status < 500) return new ModelgateDenied({ decisionId, reasons, status });
    const codes = reasons.map((r) => r.code).join(', ');
    return new ModelgateUnavailable(
      `modelgate could not decide (HTTP ${status}${codes ? `: ${codes}` : ''})`,
      {
        decisionId,
        reasons,
        status,
      },
    );
  }
}
