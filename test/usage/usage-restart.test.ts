import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import {
  bundleWithSummarizerLimits,
  figures,
  HAIKU,
  SUMMARIZER,
  REPORTER_CLAIMS,
  SUMMARIZER_CLAIMS,
  summary,
  tokensFromAuditLog,
  usageOf,
} from './usage-helpers';

const SUPPORT = 'spiffe://corp/support/reply-bot';
const SUPPORT_CLAIMS = { sub: SUPPORT, scope: 'invoke:support' };

describe('usage across a restart', () => {
  let first: TestService | undefined;
  let second: TestService | undefined;
  let bundle: string;
  beforeAll(() => {
    bundle = bundleWithSummarizerLimits({
      max_tokens_per_call: 4096,
      daily_tokens: 50_000,
      requests_per_minute: 100,
    });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('rebuilds the same counters from the SQLite file, consistent with the audit log', async () => {
    first = await startTestService({ bundle });
    const summarize = (tokens: { max_tokens?: number; input_tokens?: number }) =>
      first!.post('/v1/decide', summary(tokens), first!.token(SUMMARIZER_CLAIMS));
    // Allowed and reported, allowed and pending, denied; another subject; a released-nothing API read.
    const reported = await summarize({ max_tokens: 4096, input_tokens: 900 });
    const pending = await summarize({ max_tokens: 3000, input_tokens: 250 });
    const capped = await summarize({ max_tokens: 9000 });
    const denied = await first.post(
      '/v1/decide',
      { invocation: { ...summary().invocation, purpose: 'marketing' } },
      first.token(SUMMARIZER_CLAIMS),
    );
    const support = await first.post(
      '/v1/decide',
      {
        invocation: {
          model: HAIKU,
          provider: 'bedrock',
          operation: 'chat',
          purpose: 'support-reply',
          max_tokens: 512,
        },
      },
      first.token(SUPPORT_CLAIMS),
    );
    // The OPA Data API spends budget too: its cap_tokens (4096) plus the declared input.
    const viaDataApi = await first.post(
      '/v1/data/modelgate/decision',
      { input: { invocation: { ...summary().invocation, max_tokens: 9000, input_tokens: 100 } } },
      first.token(SUMMARIZER_CLAIMS),
    );
    expect(viaDataApi.body.result).toMatchObject({ allow: true });
    expect([reported, pending, capped, support].map((r) => r.body.allow)).toEqual([true, true, true, true]);
    expect(capped.body.max_tokens).toBe(4096);
    expect(denied.body.allow).toBe(false);
    const report = await first.post(
      `/v1/decisions/${reported.body.decision_id as string}/usage`,
      { input_tokens: 880, output_tokens: 1200, cost_usd: 0.01 },
      first.token(REPORTER_CLAIMS),
    );
    expect(report.status).toBe(201);

    const before = await usageOf(first, SUMMARIZER_CLAIMS, { model: HAIKU });
    // Precondition: there is something to restore, and the counters agree with the log already.
    expect(before.usage).toEqual({
      requests_last_minute: 4,
      tokens_last_hour: 2080 + 3250 + 4096 + 4196,
      tokens_last_day: 2080 + 3250 + 4096 + 4196,
    });
    expect(before.usage.tokens_last_day).toBe(tokensFromAuditLog(first.db, SUMMARIZER, Date.now()));
    const supportBefore = await usageOf(first, SUPPORT_CLAIMS);
    expect(supportBefore.usage.tokens_last_day).toBe(512);

    const dbFile = first.db;
    await first.close();
    first = undefined;
    second = await startTestService({ bundle, db: dbFile });

    const after = await usageOf(second, SUMMARIZER_CLAIMS, { model: HAIKU });
    expect(figures(after)).toEqual(figures(before));
    expect((await usageOf(second, SUPPORT_CLAIMS)).usage).toEqual(supportBefore.usage);
    expect(after.usage.tokens_last_day).toBe(tokensFromAuditLog(second.db, SUMMARIZER, Date.now()));

    // The restored pending reservation can still be reported, once, and replaces its 3250 tokens.
    const late = await second.post(
      `/v1/decisions/${pending.body.decision_id as string}/usage`,
      { input_tokens: 250, output_tokens: 50 },
      second.token(REPORTER_CLAIMS),
    );
    expect(late.status).toBe(201);
    expect((await usageOf(second, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(2080 + 300 + 4096 + 4196);
    const twice = await second.post(
      `/v1/decisions/${reported.body.decision_id as string}/usage`,
      { input_tokens: 1, output_tokens: 1 },
      second.token(SUMMARIZER_CLAIMS),
    );
    expect(twice.status).toBe(409);
    expect((await usageOf(second, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(
      tokensFromAuditLog(second.db, SUMMARIZER, Date.now()),
    );
  });
  it('keeps the prompt tokens of a decision whose input was over the record limit across a restart', async () => {
    first = await startTestService({ bundle });
    // The Data API keeps any input the caller sends; past 64 KiB the record stores a marker instead of it, and
    // with it went the declared input_tokens that the rebuild reads back: a restart forgot 20,000 tokens.
    const big = await first.post(
      '/v1/data/modelgate/decision',
      {
        input: {
          invocation: { ...summary().invocation, max_tokens: 100, input_tokens: 20_000 },
          notes: 'x'.repeat(70_000),
        },
      },
      first.token(SUMMARIZER_CLAIMS),
    );
    expect(big.body.result).toMatchObject({ allow: true });
    const before = await usageOf(first, SUMMARIZER_CLAIMS);
    // Precondition: the reservation is there before the restart, and the record was cut to size.
    expect(before.usage.tokens_last_day).toBe(20_100);
    expect(auditRow(first.db, big.body.decision_id as string)?.record.truncated).toHaveProperty('input');

    const dbFile = first.db;
    await first.close();
    first = undefined;
    await second?.close();
    second = await startTestService({ bundle, db: dbFile });
    expect((await usageOf(second, SUMMARIZER_CLAIMS)).usage).toEqual(before.usage);
    expect(tokensFromAuditLog(second.db, SUMMARIZER, Date.now())).toBe(20_100);
  });
});
