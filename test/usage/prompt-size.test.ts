/**
 * A caller that declares no input_tokens, or fewer than it sends, still spends budget for its prompt: at least a
 * token per four characters of payload, in the policy's view, in the reservation, and in the counters rebuilt
 * from the log at a restart. Before, four prompts of 243,000 characters from the data team (20,000 tokens a
 * day) were all allowed and counted 4 tokens.
 */
import { startTestService, type TestService } from '../helpers/service';
import { codes, HAIKU, SUMMARIZER, SUMMARIZER_CLAIMS, tokensFromAuditLog, usageOf } from './usage-helpers';

const call = (chars: number, tokens: { input_tokens?: number } = {}) => ({
  invocation: { model: HAIKU, operation: 'chat', purpose: 'document-summary', max_tokens: 100, ...tokens },
  payload: { prompt: 'Summarise this. '.repeat(chars / 16) },
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
});
