/**
 * A caller with a stolen token must not get model calls for less budget than they cost. Two ways it did:
 * - text sent as object keys (or numbers) of `payload.arguments` counted no characters, so a prompt of 880 KB
 *   of keys reserved 0 prompt tokens and slipped past the 256 KiB `payload_chars` limit;
 * - the Data API took `invocation.max_tokens: -1` (or 0.5) as the caller's limit: the policy saw it "within" every
 *   cap and added no `cap_tokens`, and the allow reserved nothing for output.
 */
import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { codes, HAIKU, tokensFromAuditLog, usageOf } from './usage-helpers';

// The CI pipeline's identity: 60 requests a minute and 2,000,000 tokens a day leave room for every case here.
const PIPELINE = 'spiffe://corp/ci/codegen-pipeline';
const PIPELINE_CLAIMS = { sub: PIPELINE, scope: 'invoke:codegen' };
const invocation = { model: HAIKU, provider: 'bedrock', operation: 'chat', max_tokens: 100 };
const context = { environment: 'ci', repository: 'corp/webapp' };

// Objects of at most 500 keys (the body allows 1,000 an object) whose keys hold `chars` characters of prose in
// all, and whose values are numbers.
function proseAsKeys(chars: number): Record<string, number>[] {
  const line = 'Summarise the attached quarterly report for the board. ';
  const groups: Record<string, number>[] = [];
  for (let i = 0, sent = 0; sent < chars; i++) {
    if (i % 500 === 0) groups.push({});
    const key = `${i} ${line}`;
    groups[groups.length - 1]![key] = i;
    sent += key.length;
  }
  return groups;
}

describe('budgets count what a caller sends, wherever it puts it', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.close();
  });

  it('counts object keys and numbers of the payload as characters of the prompt', async () => {
    const token = svc.token(PIPELINE_CLAIMS);
    const keys = proseAsKeys(12_000); // under the inline limit (16 KiB): screened on the event loop, no thread budget
    const entries = keys.flatMap((group) => Object.entries(group));
    const keyChars = entries.reduce((n, [key]) => n + key.length, 0);
    const numberChars = entries.reduce((n, [, value]) => n + String(value).length, 0);
    expect(keyChars).toBeGreaterThanOrEqual(12_000);

    const reply = await svc.post('/v1/decide', { invocation, context, payload: { arguments: keys } }, token);
    expect({ status: reply.status, reasons: reply.body.reasons }).toEqual({ status: 200, reasons: [] });
    expect(reply.body.allow).toBe(true);

    const chars = 'arguments'.length + keyChars + numberChars;
    const record = auditRow(svc.db, reply.body.decision_id as string)!.record as {
      input: { payload: { chars: number } };
    };
    expect(record.input.payload.chars).toBe(chars);
    const reserved = 100 + Math.ceil(chars / 4);
    expect((await usageOf(svc, PIPELINE_CLAIMS)).usage.tokens_last_day).toBe(reserved);
    expect(tokensFromAuditLog(svc.db, PIPELINE, Date.now())).toBe(reserved);
  });

  it('refuses with 413 payload_too_large a payload whose keys hold more than payload_chars', async () => {
    const token = svc.token(PIPELINE_CLAIMS);
    const before = (await usageOf(svc, PIPELINE_CLAIMS)).usage;
    const reply = await svc.post(
      '/v1/decide',
      { invocation, context, payload: { arguments: proseAsKeys(300_000) } },
      token,
    );
    expect(reply.status).toBe(413);
    expect(reply.body.allow).toBe(false);
    expect(codes(reply.body)).toEqual(['payload_too_large']);
    expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 413,
    });
    expect((await usageOf(svc, PIPELINE_CLAIMS)).usage).toEqual(before);
  });

  it.each([[-1], [0], [0.5], [-1e308]])(
    'refuses a Data API invocation.max_tokens of %p with 400 body_invalid, and reserves nothing',
    async (maxTokens) => {
      const token = svc.token(PIPELINE_CLAIMS);
      const before = (await usageOf(svc, PIPELINE_CLAIMS)).usage;
      // The precondition: the same input with a real limit is allowed and reserves its capped output.
      const fair = await svc.post('/v1/data/modelgate/decision', { input: { invocation, context } }, token);
      expect(fair.body.result).toMatchObject({ allow: true });
      const afterFair = (await usageOf(svc, PIPELINE_CLAIMS)).usage;
      expect(afterFair.tokens_last_day).toBe(before.tokens_last_day + 100);

      const reply = await svc.post(
        '/v1/data/modelgate/decision',
        { input: { invocation: { ...invocation, max_tokens: maxTokens }, context } },
        token,
      );
      expect(reply.status).toBe(400);
      expect(reply.body.result).toBeUndefined();
      expect(JSON.stringify(reply.body)).toContain('/input/invocation/max_tokens');
      expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
        outcome: 'rejected',
        status: 400,
      });
      expect((await usageOf(svc, PIPELINE_CLAIMS)).usage).toEqual(afterFair);
    },
  );

  it('refuses a Data API invocation.input_tokens that is not a count', async () => {
    const token = svc.token(PIPELINE_CLAIMS);
    const reply = await svc.post(
      '/v1/data/modelgate/decision',
      { input: { invocation: { ...invocation, input_tokens: -5 }, context } },
      token,
    );
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).toContain('/input/invocation/input_tokens');
  });
});
