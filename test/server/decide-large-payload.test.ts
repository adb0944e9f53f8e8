import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { fake } from '../screening/fake-values';

const SUPPORT = 'spiffe://corp/support/reply-bot';
const invocation = {
  model: 'anthropic.claude-haiku',
  provider: 'bedrock',
  operation: 'chat',
  purpose: 'support-reply',
  max_tokens: 1024,
};
// Set here, not taken from the default, which may change.
const INLINE_CHARS = 16384;
const FILLER = 'The deploy rolled out to three of twelve nodes before the health check failed. ';

/** A chat whose text is about `chars` long, with `line` in its last message. */
function chat(chars: number, line: string): { messages: Array<{ role: string; content: string }> } {
  const messages = [];
  for (let total = 0; total < chars; total += 2000)
    messages.push({ role: 'user', content: FILLER.repeat(25).slice(0, 2000) });
  messages.push({ role: 'user', content: line });
  return { messages };
}

// Payloads over the inline limit are screened, and redacted when allowed, on a screening thread
// (src/screening/screening-pool.ts); the decision and the redacted payload must be those the event loop would make.
describe('POST /v1/decide with payloads screened on a thread', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ screening: { inlineChars: INLINE_CHARS, budgetMs: 60_000, threads: 1 } });
  });
  afterAll(() => svc.close());
  const decide = (payload: unknown) =>
    svc.post('/v1/decide', { invocation, payload }, svc.token({ sub: SUPPORT, scope: 'invoke:support' }));

  it('redacts personal data in a 40 KiB payload as in a small one', async () => {
    const line = 'please write to jane.doe@acme-corp.com about it';
    const small = await decide(chat(0, line));
    expect(small.body.allow).toBe(true); // precondition: the bot may send PII, redacted
    const smallText = JSON.stringify(small.body.redacted_payload);
    expect(smallText).not.toContain('jane.doe@acme-corp.com');
    const payload = chat(40_000, line);
    const chars = payload.messages.reduce((n, m) => n + m.content.length, 0);
    expect(chars).toBeGreaterThan(2 * INLINE_CHARS); // precondition: over the inline limit
    const large = await decide(payload);
    expect(large.status).toBe(200);
    expect(large.body.allow).toBe(true);
    const messages = (large.body.redacted_payload as { messages: Array<{ content: string }> }).messages;
    expect(messages.length).toBeGreaterThan(20);
    expect(messages[messages.length - 1]).toEqual(
      (small.body.redacted_payload as { messages: unknown[] }).messages[0],
    );
    expect(auditRow(svc.db, large.body.decision_id as string)).toMatchObject({ outcome: 'allowed' });
  });

  it('denies a secret in a 40 KiB payload, recorded', async () => {
    const res = await decide(chat(40_000, `the token is ${fake.githubToken()}`));
    expect(res.status).toBe(200);
    expect(res.body.allow).toBe(false);
    const row = auditRow(svc.db, res.body.decision_id as string);
    expect(row).toMatchObject({ outcome: 'denied' });
    expect(JSON.stringify(row)).not.toContain('ghp_');
  });
});
