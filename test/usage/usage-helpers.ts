import http from 'node:http';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildBundle, REGO_DIR } from '../helpers/opa';
import type { TestService } from '../helpers/service';

/** The data team's identity in the shipped entitlements: 20000 tokens a day, 5 requests a minute, 4096 a call. */
export const SUMMARIZER = 'spiffe://corp/data/doc-summarizer';
export const SUMMARIZER_CLAIMS = { sub: SUMMARIZER, scope: 'invoke:summarize' };
/** A trusted usage reporter (a gateway): its reports settle a reservation down as well as up. */
export const REPORTER_CLAIMS = { sub: 'spiffe://corp/llm-gateway', scope: 'modelgate:usage-report' };
export const HAIKU = 'anthropic.claude-haiku';

/** Returns a /v1/decide body the summarizer is entitled to, with the given token figures. */
export function summary(tokens: { max_tokens?: number; input_tokens?: number } = {}) {
  return {
    invocation: { model: HAIKU, operation: 'chat', purpose: 'document-summary', ...tokens },
  };
}

/** The usage counters as GET /v1/usage and `modelgate usage --json` show them. */
export interface UsageBody {
  subject: string;
  usage: { requests_last_minute: number; tokens_last_hour: number; tokens_last_day: number };
  model?: { name: string; requests_last_minute: number; tokens_last_hour: number; tokens_last_day: number };
  reported_last_day: { reports: number; tokens: number; cost_usd: number };
  limits: Record<string, number> | null;
}

/** Returns the caller's GET /v1/usage body (asserting a 200), optionally for a subject or model. */
export async function usageOf(
  svc: TestService,
  claims: Record<string, unknown>,
  query: { subject?: string; model?: string } = {},
): Promise<UsageBody> {
  const params = new URLSearchParams(query as Record<string, string>).toString();
  const res = await svc.get(`/v1/usage${params ? `?${params}` : ''}`, svc.token(claims));
  if (res.status !== 200) throw new Error(`GET /v1/usage: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as UsageBody;
}

/**
 * Builds, with the real `opa build`, a bundle of the shipped policy whose only change is the
 * summarizer's limits. Returns the bundle's path.
 */
export function bundleWithSummarizerLimits(limits: Record<string, number>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-usage-bundle-'));
  const rego = path.join(dir, 'rego');
  cpSync(REGO_DIR, rego, { recursive: true });
  const dataFile = path.join(rego, 'entitlements', 'data.json');
  const data = JSON.parse(readFileSync(dataFile, 'utf8')) as {
    subjects: Record<string, { limits: Record<string, number> }>;
  };
  data.subjects[SUMMARIZER]!.limits = limits;
  writeFileSync(dataFile, JSON.stringify(data, null, 2));
  return buildBundle(rego, path.join(dir, 'bundle.tar.gz'), ['modelgate/decision', 'modelgate/limits']);
}

/**
 * Returns a subject's tokens of the last day computed straight from the SQLite file, independently of
 * modelgate's code: every allowed model decision (/v1/decide or the Data API) counts its effective
 * max_tokens plus its declared input_tokens, unless a usage report replaced them with what it really used.
 */
export function tokensFromAuditLog(dbFile: string, subject: string, nowMs: number): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT r.record, u.input_tokens + u.output_tokens AS reported
           FROM audit_records r LEFT JOIN usage_reports u ON u.decision_id = r.decision_id
          WHERE r.subject = ? AND r.outcome = 'allowed' AND r.ts_ms > ?
            AND (r.path = '/v1/decide' OR r.path LIKE '/v1/data/%')`,
      )
      .all(subject, nowMs - 24 * 3600 * 1000) as { record: string; reported: number | null }[];
    let total = 0;
    for (const row of rows) {
      const record = JSON.parse(row.record) as {
        max_tokens: number | null;
        input: { invocation: { input_tokens?: number }; payload?: { chars?: number } };
      };
      // The prompt: what was declared, and at least a token per four characters sent.
      const prompt = Math.max(
        record.input.invocation.input_tokens ?? 0,
        Math.ceil((record.input.payload?.chars ?? 0) / 4),
      );
      total += row.reported ?? (record.max_tokens ?? 0) + prompt;
    }
    return total;
  } finally {
    db.close();
  }
}

/** Returns the reason codes of a reply. */
export function codes(body: Record<string, unknown>): string[] {
  return ((body.reasons ?? []) as { code: string }[]).map((r) => r.code);
}

/** The replies to a burst, whether every request had been sent before the first reply arrived, and when that was. */
export interface Burst {
  replies: { status: number; body: Record<string, unknown> }[];
  allSentBeforeFirstReply: boolean;
  firstReplyAtMs: number;
}

/**
 * POSTs `count` copies of a JSON body at once, each on its own keep-alive connection opened
 * beforehand, so that all of them sit in the service's socket buffers together instead of trickling
 * in while connections are set up (which would let the service answer each before the next arrives).
 */
export async function burst(
  baseUrl: string,
  route: string,
  body: unknown,
  token: string,
  count: number,
): Promise<Burst> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: count });
  let sent = 0;
  let sentAtFirstReply: number | undefined;
  let firstReplyAtMs = 0;
  const request = (method: 'GET' | 'POST', path: string, payload?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const headers: Record<string, string> = payload
        ? { 'content-type': 'application/json', authorization: `Bearer ${token}` }
        : {};
      const req = http.request(`${baseUrl}${path}`, { method, agent, headers });
      req.on('finish', () => (sent += 1));
      req.on('response', (res) => {
        if (sentAtFirstReply === undefined) {
          sentAtFirstReply = sent;
          firstReplyAtMs = Date.now();
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  try {
    // `count` concurrent probes leave `count` open, idle sockets in the agent.
    await Promise.all(Array.from({ length: count }, () => request('GET', '/health')));
    sent = 0;
    sentAtFirstReply = undefined;
    const payload = JSON.stringify(body);
    const results = await Promise.all(Array.from({ length: count }, () => request('POST', route, payload)));
    return {
      replies: results.map((r) => ({
        status: r.status,
        body: JSON.parse(r.text) as Record<string, unknown>,
      })),
      allSentBeforeFirstReply: sentAtFirstReply === count,
      firstReplyAtMs,
    };
  } finally {
    agent.destroy();
  }
}

/** Returns a usage reply without the decision id of the read itself: the figures only. */
export function figures(body: UsageBody): UsageBody {
  const copy: Record<string, unknown> = { ...body };
  delete copy.decision_id;
  return copy as unknown as UsageBody;
}
