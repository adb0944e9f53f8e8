import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { usageOf } from './usage-helpers';

const SUPPORT_CLAIMS = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const INPUT = {
  invocation: {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
    max_tokens: 1000,
    input_tokens: 200,
  },
};

// OPA's default decision (POST /, the body is the input) is the Data API in another shape: its allow reserves
// budget like one from /v1/decide, and that spend must outlive the process as the audit log's record of it does.
describe("budget spent through OPA's default decision (POST /)", () => {
  let first: TestService | undefined;
  let second: TestService | undefined;
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  it('is still counted after a restart, rebuilt from the audit log like every other allow', async () => {
    first = await startTestService();
    const allowed = await first.post('/', INPUT, first.token(SUPPORT_CLAIMS));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ allow: true });
    const id = allowed.headers.get('x-modelgate-decision-id')!;
    expect(auditRow(first.db, id)).toMatchObject({ path: '/', outcome: 'allowed' });
    // Precondition: the running service counts it (max_tokens 1000 plus the 200 declared input tokens).
    const before = (await usageOf(first, SUPPORT_CLAIMS)).usage;
    expect(before.tokens_last_day).toBe(1200);

    const db = first.db;
    await first.close();
    first = undefined;
    second = await startTestService({ db });
    expect((await usageOf(second, SUPPORT_CLAIMS)).usage).toEqual(before);
    // And its usage can be reported like any reservation's, rather than refused as "not a model decision".
    const report = await second.post(
      `/v1/decisions/${id}/usage`,
      { input_tokens: 300, output_tokens: 1500 },
      second.token(SUPPORT_CLAIMS),
    );
    expect(report.status).toBe(201);
    expect((await usageOf(second, SUPPORT_CLAIMS)).usage.tokens_last_day).toBe(1800);
  });
});
