import { screenPayload } from '../../src/screening';
import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

const SUPPORT = 'spiffe://corp/support/reply-bot';
const invocation = {
  model: 'anthropic.claude-haiku',
  provider: 'bedrock',
  operation: 'chat',
  purpose: 'support-reply',
  max_tokens: 1024,
};
const INLINE_CHARS = 4096;
const LINE = 'The deploy rolled out to three of twelve nodes; write to jane.doe@acme-corp.com about it. ';

/** A chat whose texts (keys and string values) hold exactly `chars` characters (the measure of the inline limit). */
function chat(chars: number): { messages: Array<{ role: string; content: string }> } {
  const messages = [];
  const perMessage = 'roleusercontent'.length;
  let left = chars - 'messages'.length;
  while (left > 0) {
    const content = LINE.repeat(40).slice(0, Math.min(3000, left - perMessage));
    messages.push({ role: 'user', content });
    left -= perMessage + content.length;
  }
  return { messages };
}

// A real service whose screening threads get 1 ms per payload: a payload over the inline limit runs out of time,
// one at or under it is screened on the event loop (small payloads not shared), where no budget applies. A second service, the same but for
// an inline limit above the large payload, allows that payload with the same 1 ms budget: so the 503 comes from
// the payload being sent to a thread, not from the payload or the budget alone.
describe('POST /v1/decide when screening on a thread runs out of time', () => {
  let svc: TestService;
  let control: TestService;
  beforeAll(async () => {
    // Small payloads stay on the event loop here (share_small off): with sharing, one could go to an idle thread
    // and meet the 1 ms budget too, which is not what this test is about.
    const screening = { budgetMs: 1, threads: 1, shareSmall: false };
    svc = await startTestService({ screening: { ...screening, inlineChars: INLINE_CHARS } });
    control = await startTestService({ screening: { ...screening, inlineChars: 1_000_000 } });
  });
  afterAll(async () => {
    await svc?.close();
    await control?.close();
  });
  const decide = (service: TestService, payload: unknown) =>
    service.post(
      '/v1/decide',
      { invocation, payload },
      service.token({ sub: SUPPORT, scope: 'invoke:support' }),
    );
  const large = chat(200_000);
  const atLimit = chat(INLINE_CHARS);

  it('screens the payloads it is given as measured: one at the inline limit, one far over it', () => {
    expect(screenPayload(atLimit).chars).toBe(INLINE_CHARS);
    expect(screenPayload(large).chars).toBe(200_000);
    expect(screenPayload(large).findings.email).toBeGreaterThan(100); // something to redact, were it allowed
  });

  it('allows the large payload, redacted, when it is screened on the event loop (the control)', async () => {
    const res = await decide(control, large);
    expect(res.status).toBe(200);
    expect(res.body.allow).toBe(true);
    const text = JSON.stringify(res.body.redacted_payload);
    expect(text).toContain('[REDACTED:email]');
    expect(text).not.toContain('jane.doe@acme-corp.com');
    expect(auditRow(control.db, res.body.decision_id as string)).toMatchObject({ outcome: 'allowed' });
  });

  it('denies it with 503 screening_timeout, recorded, and keeps answering', async () => {
    const res = await decide(svc, large);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      allow: false,
      reasons: [{ code: 'screening_timeout', message: 'screening the payload took longer than 1 ms' }],
      obligations: [],
    });
    expect(res.body.redacted_payload).toBeUndefined();
    const row = auditRow(svc.db, res.body.decision_id as string);
    expect(row).toMatchObject({ outcome: 'rejected', status: 503, subject: SUPPORT, path: '/v1/decide' });
    expect(row!.record.reasons).toEqual(['screening_timeout']);
    expect(JSON.stringify(row)).not.toContain('jane.doe@acme-corp.com');

    // The service goes on: health, and a payload at the inline limit is decided on the event loop as usual.
    expect((await svc.get('/health')).status).toBe(200);
    const small = await decide(svc, atLimit);
    expect(small.status).toBe(200);
    expect(small.body.allow).toBe(true);
    expect(JSON.stringify(small.body.redacted_payload)).toContain('[REDACTED:email]');
    expect(auditRow(svc.db, small.body.decision_id as string)).toMatchObject({ outcome: 'allowed' });

    // A large payload goes to a thread again (the one that was given the first is replaced or ready by now).
    const again = await decide(svc, large);
    expect(again.status).toBe(503);
    expect(again.body.reasons).toEqual([expect.objectContaining({ code: 'screening_timeout' })]);
  });
});
