import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import {
  codes,
  HAIKU,
  REPORTER_CLAIMS,
  SUMMARIZER,
  SUMMARIZER_CLAIMS,
  summary,
  usageOf,
} from './usage-helpers';

// The shipped entitlements give the data team 20000 tokens a day, 5 requests a minute, 4096 tokens a call.
describe('data team: daily token budget and per-minute rate limit, end to end', () => {
  describe('daily budget', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService();
    });
    afterAll(() => svc.close());
    const decide = (tokens: { max_tokens?: number; input_tokens?: number }) =>
      svc.post('/v1/decide', summary(tokens), svc.token(SUMMARIZER_CLAIMS));

    it('caps max_tokens to what is left of the budget, then denies budget_exhausted, and a report reopens it', async () => {
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(0);

      // 6000 prompt + 4096 output: within the per-call cap, so no cap_tokens obligation.
      const first = await decide({ max_tokens: 4096, input_tokens: 6000 });
      expect(first.body).toMatchObject({ allow: true, max_tokens: 4096, obligations: [] });
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(10_096);

      // 10096 used + 6000 prompt leaves 3904 of 20000: the cap shrinks to the remainder.
      const second = await decide({ max_tokens: 4096, input_tokens: 6000 });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ allow: true, max_tokens: 3904 });
      expect(second.body.obligations).toEqual([{ type: 'cap_tokens', max_tokens: 3904 }]);
      expect(codes(second.body)).toEqual(['budget_low']);
      const secondRow = auditRow(svc.db, second.body.decision_id as string)!;
      expect(secondRow).toMatchObject({ outcome: 'allowed', subject: SUMMARIZER });
      expect(secondRow.record.max_tokens).toBe(3904);
      // What the policy saw: the first call's reservation, for the subject and for this model.
      expect((secondRow.record.input as { usage: unknown }).usage).toEqual({
        requests_last_minute: 1,
        tokens_last_hour: 10_096,
        tokens_last_day: 10_096,
        model: { requests_last_minute: 1, tokens_last_hour: 10_096, tokens_last_day: 10_096 },
      });
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(20_000);

      const third = await decide({ max_tokens: 100, input_tokens: 10 });
      expect(third.body).toMatchObject({ allow: false, max_tokens: null, obligations: [] });
      expect(codes(third.body)).toEqual(['budget_exhausted']);
      const thirdRow = auditRow(svc.db, third.body.decision_id as string)!;
      expect(thirdRow).toMatchObject({ outcome: 'denied', subject: SUMMARIZER });
      expect(thirdRow.record.reasons).toEqual(['budget_exhausted']);
      // A denied decision reserves nothing.
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage).toMatchObject({
        requests_last_minute: 2,
        tokens_last_day: 20_000,
      });

      // The second call really used 7000, not 9904: the report frees 2904 tokens.
      const report = await svc.post(
        `/v1/decisions/${second.body.decision_id as string}/usage`,
        { input_tokens: 6000, output_tokens: 1000 },
        svc.token(REPORTER_CLAIMS),
      );
      expect(report.status).toBe(201);
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(17_096);

      // 17096 + 1000 prompt leaves 1904.
      const fourth = await decide({ max_tokens: 4096, input_tokens: 1000 });
      expect(fourth.body).toMatchObject({ allow: true, max_tokens: 1904 });
      expect(fourth.body.obligations).toEqual([{ type: 'cap_tokens', max_tokens: 1904 }]);
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(20_000);

      const fifth = await decide({ max_tokens: 10 });
      expect(codes(fifth.body)).toEqual(['budget_exhausted']);
    });

    it('shows the same usage per model when asked for the model', async () => {
      const body = await usageOf(svc, SUMMARIZER_CLAIMS, { model: HAIKU });
      expect(body.model).toEqual({ name: HAIKU, ...body.usage });
      const other = await usageOf(svc, SUMMARIZER_CLAIMS, { model: 'anthropic.claude-sonnet' });
      expect(other.model).toMatchObject({ requests_last_minute: 0, tokens_last_day: 0 });
    });
  });

  describe('per-minute rate limit', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService();
    });
    afterAll(() => svc.close());

    it('allows 5 of a burst of 8 in a minute and denies the rest with rate_limited', async () => {
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.requests_last_minute).toBe(0);
      const token = svc.token(SUMMARIZER_CLAIMS);
      const replies = await Promise.all(
        Array.from({ length: 8 }, () => svc.post('/v1/decide', summary({ max_tokens: 100 }), token)),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200));
      const allowed = replies.filter((r) => r.body.allow === true);
      const denied = replies.filter((r) => r.body.allow === false);
      expect(allowed).toHaveLength(5);
      expect(denied).toHaveLength(3);
      // Only the rate limit: 500 tokens are nowhere near the daily budget.
      for (const reply of denied) {
        expect(codes(reply.body)).toEqual(['rate_limited']);
        const row = auditRow(svc.db, reply.body.decision_id as string)!;
        expect(row).toMatchObject({ outcome: 'denied', subject: SUMMARIZER });
        expect(row.record.reasons).toEqual(['rate_limited']);
        expect(
          (row.record.input as { usage: { requests_last_minute: number } }).usage.requests_last_minute,
        ).toBe(5);
      }
      // Denied requests do not count: the minute holds the five allowed ones.
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage).toMatchObject({
        requests_last_minute: 5,
        tokens_last_day: 500,
      });
    });
  });
});
