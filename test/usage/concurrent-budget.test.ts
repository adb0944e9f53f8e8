import Database from 'better-sqlite3';
import { startTestService, type TestService } from '../helpers/service';
import {
  bundleWithSummarizerLimits,
  burst,
  codes,
  SUMMARIZER,
  SUMMARIZER_CLAIMS,
  summary,
  usageOf,
} from './usage-helpers';

// A budget that fits exactly 10 calls of 1000 tokens; the rate limit is far out of the way.
const LIMITS = { max_tokens_per_call: 1000, daily_tokens: 10_000, requests_per_minute: 1000 };

interface Recorded {
  seq: number;
  outcome: string;
  decidedMs: number;
  tokensSeen: number;
  reasons: string[];
}

function recordedDecisions(dbFile: string): Recorded[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT seq, outcome, ts_ms, record FROM audit_records WHERE subject = ? AND path = '/v1/decide' ORDER BY seq`,
      )
      .all(SUMMARIZER) as { seq: number; outcome: string; ts_ms: number; record: string }[];
    return rows.map((row) => {
      const record = JSON.parse(row.record) as {
        reasons: string[];
        input: { time: { unix_ms: number }; usage: { tokens_last_day: number } };
      };
      return {
        seq: row.seq,
        outcome: row.outcome,
        decidedMs: record.input.time.unix_ms,
        tokensSeen: record.input.usage.tokens_last_day,
        reasons: record.reasons,
      };
    });
  } finally {
    db.close();
  }
}

describe('no over-granting under concurrency', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ bundle: bundleWithSummarizerLimits(LIMITS) });
  });
  afterAll(() => svc.close());

  it('grants exactly the 10 calls that fit when 200 ask at once, in the replies and in the audit log', async () => {
    // Preconditions: the test bundle's limits are in force, and nothing is used yet.
    const before = await usageOf(svc, SUMMARIZER_CLAIMS);
    expect(before.limits).toEqual(LIMITS);
    expect(before.usage.tokens_last_day).toBe(0);

    const { replies, allSentBeforeFirstReply, firstReplyAtMs } = await burst(
      svc.url,
      '/v1/decide',
      summary({ max_tokens: 1000 }),
      svc.token(SUMMARIZER_CLAIMS),
      200,
    );

    expect(replies.every((r) => r.status === 200)).toBe(true);
    const allowed = replies.filter((r) => r.body.allow === true);
    expect(allowed).toHaveLength(10);
    expect(allowed.every((r) => r.body.max_tokens === 1000)).toBe(true);
    const denied = replies.filter((r) => r.body.allow === false);
    expect(denied).toHaveLength(190);
    expect(denied.every((r) => codes(r.body).join() === 'budget_exhausted')).toBe(true);

    const recorded = recordedDecisions(svc.db);
    expect(recorded).toHaveLength(200);
    expect(recorded.filter((r) => r.outcome === 'allowed')).toHaveLength(10);
    expect(
      recorded.filter((r) => r.outcome === 'denied' && r.reasons.join() === 'budget_exhausted'),
    ).toHaveLength(190);
    // Each grant saw every earlier grant's reservation: 0, 1000, ..., 9000.
    const seenByAllowed = recorded.filter((r) => r.outcome === 'allowed').map((r) => r.tokensSeen);
    expect(seenByAllowed.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i * 1000));

    // The requests really were concurrent: all were sent before the first reply, and more than the 10
    // that fit were decided before the service answered any, that is while every earlier grant was
    // still in flight. A reservation made any later than the decision would have granted them all.
    expect(allSentBeforeFirstReply).toBe(true);
    expect(recorded.filter((r) => r.decidedMs < firstReplyAtMs).length).toBeGreaterThan(10);

    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage).toMatchObject({
      requests_last_minute: 10,
      tokens_last_day: 10_000,
    });
  });
});
