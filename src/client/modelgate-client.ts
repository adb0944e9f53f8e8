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
   * every request (RFC 9449). modelgate refuses such a token as Bearer. When modelgate requires a nonce in proofs
   * (`use_dpop_nonce`), the request is sent once more with the nonce its refusal carried, and every later proof
   * carries the latest `DPoP-Nonce` a reply held. A key it cannot sign with (Ed448, X25519, a public key, an
   * `algorithm` that does not fit the key) is a ModelgateClientError from this constructor.
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
// RFC 9449 section 8.1: a nonce is one or more NQCHAR (printable ASCII but space, `"` and `\`); bounded here too.
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/;

/** One HTTP reply, its body still text. */
interface RawReply {
  status: number;
  headers: Headers;
  text: string;
}

/** Talks to modelgate: `decide()` before a model call, `reportUsage()` after it. */
export class ModelgateClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly dpop?: DpopSigner;
  // The latest DPoP-Nonce modelgate sent, for the next proof; none until a reply carries one.
  private dpopNonce?: string;

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
    const url = `${this.baseUrl}${route}`;
    // One deadline for the whole exchange, the body and a retry with a DPoP nonce included: a slow reply is an outage.
    const signal = AbortSignal.timeout(this.timeoutMs);
    let reply = await this.send(url, token, payload, signal);
    // RFC 9449 section 9: modelgate wants a proof with its nonce, and its refusal carried one. Once more, with it;
    // a second refusal is the caller's to see.
    if (this.asksForNonce(reply)) reply = await this.send(url, token, payload, signal);
    return parseReply(reply);
  }

  private async send(url: string, token: string, payload: unknown, signal: AbortSignal): Promise<RawReply> {
    const headers = { ...this.credentials('POST', url, token), 'content-type': 'application/json' };
    try {
      const res = await this.fetchImpl(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal,
      });
      const text = await res.text();
      this.keepNonce(res.headers);
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      throw new ModelgateUnavailable(this.unreachedMessage(err, signal), { cause: err });
    }
  }

  // A timeout and a refused connection call for different looks (a slow service, a wrong address), so they read apart.
  private unreachedMessage(err: unknown, signal: AbortSignal): string {
    if (signal.aborted) return `modelgate did not answer within ${this.timeoutMs} ms at ${this.baseUrl}`;
    return `could not reach modelgate at ${this.baseUrl}: ${rootMessage(err)}`;
  }

  // A fresh proof per request: modelgate refuses a proof it has seen (its jti), and one made for another URL.
  private credentials(method: string, url: string, token: string): Record<string, string> {
    if (!this.dpop) return { authorization: `Bearer ${token}` };
    try {
      return { authorization: `DPoP ${token}`, dpop: this.dpop.proof(method, url, token, this.dpopNonce) };
    } catch (err) {
      throw new ModelgateUnavailable('could not sign a DPoP proof for modelgate', { cause: err });
    }
  }

  // RFC 9449 section 8.2: the server may hand out a new nonce on any reply; the latest one goes in the next proof.
  private keepNonce(headers: Headers): void {
    const nonce = headers.get('dpop-nonce');
    if (this.dpop && nonce !== null && NONCE.test(nonce)) this.dpopNonce = nonce;
  }

  private asksForNonce(reply: RawReply): boolean {
    const challenge = reply.headers.get('www-authenticate') ?? '';
    return (
      this.dpop !== undefined &&
      this.dpopNonce !== undefined &&
      reply.status === 401 &&
      /(?:^|[\s,])error="use_dpop_nonce"/.test(challenge)
    );
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

// fetch's own error says only "fetch failed"; the socket's reason (ECONNREFUSED, ENOTFOUND, a TLS failure) is its
// cause. Duck-typed: the error may come from another realm than this module's Error.
function rootMessage(err: unknown): string {
  let current = err;
  for (let depth = 0; depth < 4 && hasCause(current); depth++) current = current.cause;
  const message = (current as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(current);
}

function hasCause(value: unknown): value is { cause: unknown } {
  return typeof value === 'object' && value !== null && 'cause' in value && value.cause !== undefined;
}

function parseReply(reply: RawReply): { status: number; body: Record<string, unknown> } {
  try {
    const body = JSON.parse(reply.text) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Error('not a JSON object');
    return { status: reply.status, body: body as Record<string, unknown> };
  } catch (err) {
    throw new ModelgateUnavailable(`modelgate answered HTTP ${reply.status} with a body that is not JSON`, {
      status: reply.status,
      cause: err,
    });
  }
}
