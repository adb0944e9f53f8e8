import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// The shipped policy treats national_id as personal data: the support bot may send it, redacted.
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

test('a national id in a support chat is redacted by the shipped policy, and only its class recorded', async () => {
  const res = await svc.post(
    '/v1/decide',
    {
      invocation: {
        model: 'anthropic.claude-haiku',
        provider: 'bedrock',
        operation: 'chat',
        purpose: 'support-reply',
      },
      payload: { messages: [{ role: 'user', content: 'Mi DNI es 12345678Z, ¿pueden revisar mi pedido?' }] },
    },
    svc.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' }),
  );
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    allow: true,
    obligations: expect.arrayContaining([
      { type: 'redact', classes: expect.arrayContaining(['national_id']) },
    ]),
    redacted_payload: {
      messages: [{ role: 'user', content: 'Mi DNI es [REDACTED:national_id], ¿pueden revisar mi pedido?' }],
    },
  });
  const row = auditRow(svc.db, res.body.decision_id as string);
  expect(JSON.stringify(row)).not.toContain('12345678Z');
  expect(JSON.stringify(row)).toContain('national_id');
});
