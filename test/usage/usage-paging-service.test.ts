/**
 * The usage bound wired into a real service (port 0, real SQLite file, real bundle): with room for
 * one subject, every other subject's decision pages the data team out, and its next decision reads
 * its day back from the audit log. Budgets come out exactly as without the bound.
 */
import Database from 'better-sqlite3';
import { startTestService, type TestService } from '../helpers/service';
import { codes, SUMMARIZER, SUMMARIZER_CLAIMS, summary, tokensFromAuditLog, usageOf } from './usage-helpers';

const SUPPORT_CLAIMS = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const SUPPORT_CALL = {
  invocation: {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
    max_tokens: 512,
  },
};

describe('usage.max_subjects_in_memory in a running service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ usageMaxSubjects: 1 });
  });
  afterAll(() => svc.close());
  const summarize = (tokens: { max_tokens?: number; input_tokens?: number }) =>
    svc.post('/v1/decide', summary(tokens), svc.token(SUMMARIZER_CLAIMS));
  const support = async () => {
    const reply = await svc.post('/v1/decide', SUPPORT_CALL, svc.token(SUPPORT_CLAIMS));
    expect(reply.body.allow).toBe(true);
  };

  it('reads a paged-out subject back from the audit log and keeps its budget exact', async () => {
    const first = await summarize({ max_tokens: 4096, input_tokens: 6000 });
    expect(first.body).toMatchObject({ allow: true, max_tokens: 4096 });

    // A report written to the ledger behind the service's back is seen only once the subject is read
    // back from it: first the counters in memory answer (the precondition), then, paged out, the ledger.
    const db = new Database(svc.db);
    db.prepare(
      `INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms, settles_exactly)
       VALUES (?, ?, 6000, 1000, NULL, ?, 1)`,
    ).run(first.body.decision_id, SUMMARIZER, Date.now());
    db.close();
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(10_096);
    await support();
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(7000);

    // 7000 + 6000 + 4096 = 17096 of the 20000 a day: allowed in full.
    await support();
    const second = await summarize({ max_tokens: 4096, input_tokens: 6000 });
    expect(second.body).toMatchObject({ allow: true, max_tokens: 4096 });
    // 17096 + 1000 leaves 1904: the cap is exactly what is left, read back from the log.
    await support();
    const third = await summarize({ max_tokens: 4096, input_tokens: 1000 });
    expect(third.body).toMatchObject({ allow: true, max_tokens: 1904 });
    await support();
    const fourth = await summarize({ max_tokens: 10 });
    expect(codes(fourth.body)).toEqual(['budget_exhausted']);

    await support();
    const now = Date.now();
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(20_000);
    expect(tokensFromAuditLog(svc.db, SUMMARIZER, now)).toBe(20_000);
  });
});
