/**
 * A caller that declares no input_tokens, or fewer than it sends, still spends budget for its prompt: at least a
 * token per four characters of payload, in the policy's view, in the reservation, and in the counters rebuilt
 * from the log at a restart. Before, four prompts of 243,000 characters from the data team (20,000 tokens a
 * day) were all allowed and counted 4 tokens.
 */
import { startTestService, type TestService } from '../helpers/service';
import {
  codes,
  HAIKU,
  REPORTER_CLAIMS,
  SUMMARIZER,
  SUMMARIZER_CLAIMS,
  tokensFromAuditLog,
  usageOf,
} from './usage-helpers';

const call = (chars: number, tokens: { input_tokens?: number } = {}) => ({
  invocation: { model: HAIKU, operation: 'chat', purpose: 'document-summary', max_tokens: 100, ...tokens },
  // `chars` characters of payload text in all, the key "prompt" included.
  payload: { prompt: 'Summarise this. '.repeat(chars / 16).slice('prompt'.length) },
});

describe('budgets count the prompt a caller sends, declared or not', () => {
  let first: TestService | undefined;
  let second: TestService | undefined;
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('reserves a token per four characters at least, denies past the budget, and rebuilds the same at a restart', async () => {
    first = await startTestService();
    const token = first.token(SUMMARIZER_CLAIMS);
    const undeclared = await first.post('/v1/decide', call(32_000), token);
    const underDeclared = await first.post('/v1/decide', call(16_000, { input_tokens: 10 }), token);
    const declared = await first.post('/v1/decide', call(160, { input_tokens: 500 }), token);
    expect([undeclared, underDeclared, declared].map((r) => r.body.allow)).toEqual([true, true, true]);
    // The Data API's caller states the payload's size itself.
    const viaData = await first.post(
      '/v1/data/modelgate/decision',
      { input: { invocation: call(0).invocation, payload: { present: true, chars: 2_000, findings: {} } } },
      token,
    );
    expect(viaData.body.result).toMatchObject({ allow: true });
    const used = 100 + 8_000 + (100 + 4_000) + (100 + 500) + (100 + 500);
    const before = await usageOf(first, SUMMARIZER_CLAIMS);
    expect(before.usage.tokens_last_day).toBe(used);
    expect(tokensFromAuditLog(first.db, SUMMARIZER, Date.now())).toBe(used);

    // 13,400 used of 20,000: a prompt of 6,600 tokens and more is past the budget, whatever it declares.
    const over = await first.post('/v1/decide', call(26_400, { input_tokens: 1 }), token);
    expect(over.body.allow).toBe(false);
    expect(codes(over.body)).toContain('budget_exhausted');

    const db = first.db;
    await first.close();
    first = undefined;
    second = await startTestService({ db });
    expect((await usageOf(second, SUMMARIZER_CLAIMS)).usage).toEqual(before.usage);
  });

  it('settles a reported decision whose prompt was counted from its payload, at once and as after a restart', async () => {
    const svc = await startTestService();
    try {
      const token = svc.token(SUMMARIZER_CLAIMS);
      // 2,000 tokens of payload and 100 of output reserved; nothing declared.
      const self = await svc.post('/v1/decide', call(8_000), token);
      const gated = await svc.post('/v1/decide', call(8_000), token);
      expect([self.body.allow, gated.body.allow]).toEqual([true, true]);
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(2 * 2_100);

      // The caller reports more than it reserved (code takes more tokens per character): the counters rise.
      const up = await svc.post(
        `/v1/decisions/${self.body.decision_id as string}/usage`,
        { input_tokens: 5_000, output_tokens: 100 },
        token,
      );
      expect(up.status).toBe(201);
      // The gateway reports less: the counters fall.
      const down = await svc.post(
        `/v1/decisions/${gated.body.decision_id as string}/usage`,
        { input_tokens: 1_500, output_tokens: 50 },
        svc.token(REPORTER_CLAIMS),
      );
      expect(down.status).toBe(201);
      const settled = 5_100 + 1_550;
      expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(settled);
      expect(tokensFromAuditLog(svc.db, SUMMARIZER, Date.now())).toBe(settled);
    } finally {
      await svc.close();
    }
  });
});
