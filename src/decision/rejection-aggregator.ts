import { newDecisionId } from '../audit/decision-id';
import type { AuditRecordV1 } from '../audit/audit-record';

/** How anonymous rejections are recorded: the first few one by one, the rest as one counted record. */
export interface AggregationLimits {
  /** Records per source, reason and minute written one by one; beyond, they are counted. 0 turns aggregation off. */
  individualPerMinute: number;
  /** Distinct (source, reason, path) keys held per minute; beyond, new sources share the key `*`. */
  maxKeys: number;
}

export const DEFAULT_AGGREGATION_LIMITS: AggregationLimits = { individualPerMinute: 10, maxKeys: 10_000 };

/** What to do with one anonymous rejection. */
export type Admission = { individual: true } | { individual: false; decisionId: string };

/** One anonymous rejection, as the aggregator keys it. */
export interface Rejection {
  clientAddress: string | null;
  reason: string;
  status: number;
  path: string;
  atMs: number;
}

interface Bucket {
  first: Rejection;
  seen: number;
  /** The id of the counted record, assigned when the first request is counted, written when the minute ends. */
  countedId: string | undefined;
}

const MINUTE_MS = 60_000;

/**
 * Keeps a flood of requests nobody can be held to (no verified token) from growing the audit log
 * one row per request: per source address, reason, path and minute, the first `individualPerMinute`
 * are recorded one by one as usual, and the rest become one record carrying their `count`, written
 * when the minute ends. The trade-off (see docs/audit.md): those counted requests are recorded
 * after their reply, so a crash loses at most one minute of counts, never an identified decision.
 */
export class RejectionAggregator {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly limits: AggregationLimits) {}

  /** Returns whether this rejection gets its own record, or the id of the counted record it joins. */
  admit(rejection: Rejection): Admission {
    if (this.limits.individualPerMinute <= 0) return { individual: true };
    const minute = Math.floor(rejection.atMs / MINUTE_MS);
    let key = keyOf(rejection, rejection.clientAddress ?? '');
    let bucket = this.buckets.get(`${minute}|${key}`);
    if (!bucket && this.buckets.size >= this.limits.maxKeys) {
      key = keyOf(rejection, '*');
      bucket = this.buckets.get(`${minute}|${key}`);
    }
    if (!bucket) {
      bucket = { first: rejection, seen: 0, countedId: undefined };
      this.buckets.set(`${minute}|${key}`, bucket);
    }
    bucket.seen += 1;
    if (bucket.seen <= this.limits.individualPerMinute) return { individual: true };
    bucket.countedId ??= newDecisionId();
    return { individual: false, decisionId: bucket.countedId };
  }

  /** Returns the counted records of the minutes that ended before `nowMs` (all of them when `all`), and forgets them. */
  drain(nowMs: number, all = false): AuditRecordV1[] {
    const current = Math.floor(nowMs / MINUTE_MS);
    const records: AuditRecordV1[] = [];
    for (const [key, bucket] of this.buckets) {
      const minute = Number(key.slice(0, key.indexOf('|')));
      if (!all && minute >= current) continue;
      this.buckets.delete(key);
      if (bucket.countedId === undefined) continue;
      const address = key.endsWith('|*') ? '*' : bucket.first.clientAddress;
      records.push(
        countedRecord(bucket, {
          minute,
          address,
          nowMs,
          count: bucket.seen - this.limits.individualPerMinute,
        }),
      );
    }
    return records;
  }
}

function keyOf(r: Rejection, source: string): string {
  return `${r.status}|${r.reason}|${r.path}|${source}`;
}

function countedRecord(
  bucket: Bucket,
  at: { minute: number; address: string | null; nowMs: number; count: number },
): AuditRecordV1 {
  const { first } = bucket;
  const { minute, address, nowMs, count } = at;
  return {
    decision_id: bucket.countedId!,
    timestamp: new Date(minute * MINUTE_MS).toISOString(),
    path: first.path,
    outcome: 'rejected',
    status: first.status,
    subject: null,
    issuer: null,
    actor: null,
    token_id: null,
    model: null,
    provider: null,
    operation: null,
    purpose: null,
    input: null,
    result: null,
    reasons: [first.reason],
    obligations: [],
    max_tokens: null,
    bundle: null,
    latency_ms: Math.max(0, nowMs - minute * MINUTE_MS),
    client_address: address,
    count,
  };
}
