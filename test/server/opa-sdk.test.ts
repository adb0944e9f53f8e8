import { OPAClient } from '@open-policy-agent/opa';
import { auditCount } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// The official OPA TypeScript SDK, unchanged, against modelgate's Data API: OPA users keep their client.
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const INPUT = {
  invocation: {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
  },
  payload: { present: true, chars: 40, findings: { email: 1 } },
};

interface Decision {
  allow: boolean;
  reasons: { code: string }[];
  obligations: { type: string; classes?: string[] }[];
}

describe('the OPA TypeScript SDK (@open-policy-agent/opa) against modelgate', () => {
  let svc: TestService;
  let opa: OPAClient;
  beforeAll(async () => {
    svc = await startTestService();
    opa = new OPAClient(svc.url, { headers: { authorization: `Bearer ${svc.token(SUPPORT)}` } });
  });
  afterAll(() => svc.close());

  it('evaluates a policy path and gets the decision document', async () => {
    const before = auditCount(svc.db);
    const result = await opa.evaluate<typeof INPUT, Decision>('modelgate/decision', INPUT);
    expect(result.allow).toBe(true);
    expect(result.obligations).toEqual(expect.arrayContaining([{ type: 'redact', classes: ['email'] }]));
    expect(auditCount(svc.db)).toBe(before + 1);
  });

  it('evaluates the default decision (POST /)', async () => {
    const result = await opa.evaluateDefault<typeof INPUT, Decision>(INPUT);
    expect(result.allow).toBe(true);
  });

  it('gives undefined for a path the bundle does not define, as against OPA, and records the call', async () => {
    const before = auditCount(svc.db);
    await expect(opa.evaluate('modelgate/nothing_here', INPUT)).resolves.toBeUndefined();
    expect(auditCount(svc.db)).toBe(before + 1);
  });

  it('evaluates a path written with a leading slash, which the SDK sends as /v1/data//…', async () => {
    const result = await opa.evaluate<typeof INPUT, Decision>('/modelgate/decision', INPUT);
    expect(result.allow).toBe(true);
  });

  it('evaluates with no input at all (the caller is still known from its token)', async () => {
    const result = await opa.evaluate<typeof INPUT, Decision>('modelgate/decision');
    expect(result.allow).toBe(false);
  });

  it("gets a ClientError with OPA's code and modelgate's reason from evaluateDefault on a 400", async () => {
    const raw = { ...INPUT, payload: { prompt: 'card 4111 1111 1111 1111' } };
    const err = await opa.evaluateDefault(raw).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ClientError');
    const clientError = err as { code: string; errors: { code: string; message: string }[] };
    expect(clientError.code).toBe('invalid_parameter');
    expect(clientError.errors[0]).toEqual({
      code: 'body_invalid',
      message: expect.stringMatching(/^the body is invalid/),
    });
  });

  it('falls back to one evaluate per input when the batch API is absent, as against open-source OPA', async () => {
    const other = { ...INPUT, invocation: { ...INPUT.invocation, model: 'openai.gpt-4o' } };
    const results = await opa.evaluateBatch<typeof INPUT, Decision>(
      'modelgate/decision',
      { ok: INPUT, wrong_model: other },
      { fallback: true },
    );
    const ok = results.ok as Decision;
    const wrong = results.wrong_model as Decision;
    expect(ok.allow).toBe(true);
    expect(wrong.allow).toBe(false);
    expect(wrong.reasons.map((r) => r.code)).toContain('model_not_allowed');
  });

  it('throws a ClientError with modelgate reason codes on a 400, not an SDKValidationError', async () => {
    const raw = { ...INPUT, payload: { prompt: 'card 4111 1111 1111 1111' } };
    const err = await opa.evaluate('modelgate/decision', raw).catch((e: unknown) => e);
    // The SDK's own error classes, by name: an unparseable body would be an SDKValidationError.
    expect((err as Error).name).toBe('ClientError');
    const clientError = err as { code: string; errors?: { code: string }[] };
    expect(clientError.code).toBe('invalid_parameter');
    expect(clientError.errors?.map((e) => e.code)).toContain('body_invalid');
  });

  it('fails with HTTP 401 on a bad token, and the attempt is recorded', async () => {
    const stranger = new OPAClient(svc.url, { headers: { authorization: 'Bearer not-a-jwt' } });
    const before = auditCount(svc.db);
    const err = await stranger.evaluate('modelgate/decision', INPUT).catch((e: unknown) => e);
    expect((err as Error).name).not.toBe('SDKValidationError');
    expect((err as { httpMeta?: { response: Response } }).httpMeta?.response.status).toBe(401);
    expect(auditCount(svc.db)).toBe(before + 1);
  });
});
