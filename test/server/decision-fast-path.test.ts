import { gzipSync } from 'node:zlib';
import { auditCount, auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// POST /v1/decide and /v1/data/{path} are served by decision-listener.ts on node:http; any other
// spelling of them goes through express. The two must not be told apart by a client or the log.
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const request = {
  invocation: {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
  },
  payload: { prompt: 'Please write back to jane.doe@example.org about her refund.' },
};

function comparable(reply: { status: number; headers: Headers; body: Record<string, unknown> }) {
  const body = { ...reply.body };
  delete body.decision_id;
  const headers = Object.fromEntries([...reply.headers.entries()].filter(([name]) => name !== 'date'));
  return { status: reply.status, headers, body };
}

describe('the decision fast path', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.close();
  });

  it('answers POST /v1/decide exactly as the express route does (/v1/decide/), and records both', async () => {
    const token = svc.token(SUPPORT);
    const fast = await svc.post('/v1/decide', request, token);
    const routed = await svc.post('/v1/decide/', request, token);
    // Precondition: a real allow with a redaction, not two identical errors.
    expect(fast.status).toBe(200);
    expect(fast.body.allow).toBe(true);
    expect(fast.body.redacted_payload).toEqual({
      prompt: 'Please write back to [REDACTED:email] about her refund.',
    });
    expect(comparable(fast)).toEqual(comparable(routed));
    for (const reply of [fast, routed]) {
      const row = auditRow(svc.db, reply.body.decision_id as string);
      expect(row).toMatchObject({ outcome: 'allowed', path: '/v1/decide', status: 200 });
    }
  });

  it('answers the Data API exactly as the express route does (a percent-encoded path)', async () => {
    const token = svc.token(SUPPORT);
    const input = { input: { invocation: request.invocation } };
    const fast = await svc.post('/v1/data/modelgate/decision?pretty=false', input, token);
    const routed = await svc.post('/v1/data/modelgate/%64ecision', input, token);
    expect(fast.status).toBe(200);
    expect((fast.body.result as { allow?: unknown }).allow).toBe(true);
    expect(comparable(fast)).toEqual(comparable(routed));
    for (const reply of [fast, routed]) {
      const row = auditRow(svc.db, reply.body.decision_id as string);
      expect(row).toMatchObject({ outcome: 'allowed', path: '/v1/data/modelgate/decision' });
    }
  });

  it('reads a gzip-encoded body, as body-parser does behind express', async () => {
    const before = auditCount(svc.db);
    const res = await fetch(`${svc.url}/v1/decide`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${svc.token(SUPPORT)}`,
      },
      body: gzipSync(JSON.stringify(request)),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body.allow).toBe(true);
    expect(auditCount(svc.db)).toBe(before + 1);
  });

  it('leaves other methods to express: GET /v1/decide is a 405 method_not_allowed', async () => {
    const res = await svc.get('/v1/decide', svc.token(SUPPORT));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(res.body.reasons).toEqual([expect.objectContaining({ code: 'method_not_allowed' })]);
  });
});
