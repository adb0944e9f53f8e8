import pino from 'pino';
import { startTestService, type TestService } from '../helpers/service';

const SECRET_EMAIL = 'jane.secret-person@example.com';
const AWS_KEY = 'AKIAZ7QWERTYUIOPASDF';
const PROMPT = `please summarise the ticket of ${SECRET_EMAIL} using key ${AWS_KEY}`;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('one JSON log line per decision', () => {
  let svc: TestService;
  const lines: string[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    svc = await startTestService({}, logger);
  });
  afterAll(() => svc.close());

  const decisionLines = () =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'decision');

  it('logs ids, subject, outcome, reasons, latency and revision; never the payload or the token', async () => {
    expect(decisionLines()).toHaveLength(0);
    const token = svc.token({ sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' });
    const body = {
      invocation: {
        model: 'anthropic.claude-sonnet',
        provider: 'bedrock',
        operation: 'chat',
        max_tokens: 100,
      },
      payload: { messages: [{ role: 'user', content: PROMPT }] },
      context: { environment: 'ci', repository: 'corp/webapp' },
    };
    const first = await svc.post('/v1/decide', body, token, { 'x-request-id': 'req-42' });
    const second = await svc.post('/v1/decide', body, token, {
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
      'x-request-id': 'bad id with spaces {"injected":1}',
    });
    const rejected = await svc.post('/v1/decide', body, null);
    expect([first.status, second.status, rejected.status]).toEqual([200, 200, 401]);

    const logged = decisionLines();
    expect(logged.map((l) => l.decision_id)).toEqual(
      [first, second, rejected].map((r) => r.body.decision_id),
    );
    const revision = (first.body.policy as { revision: string }).revision;
    expect(logged[0]).toMatchObject({
      level: 30,
      request_id: 'req-42',
      path: '/v1/decide',
      outcome: first.body.allow ? 'allowed' : 'denied',
      subject: 'spiffe://corp/ci/codegen-pipeline',
      reasons: (first.body.reasons as { code: string }[]).map((r) => r.code),
      bundle: 'modelgate',
      revision,
      recorded: true,
    });
    expect(typeof logged[0]!.latency_ms).toBe('number');
    expect((logged[0]!.findings as Record<string, number>).email).toBe(1);
    // An unsafe x-request-id is dropped, not logged; the traceparent's trace id is.
    expect(logged[1]).toMatchObject({ trace_id: TRACE_ID });
    expect(logged[1]!.request_id).toBeUndefined();
    expect(logged[2]).toMatchObject({ outcome: 'rejected', status: 401, reasons: ['token_missing'] });

    const everything = lines.join('\n');
    for (const secret of [
      SECRET_EMAIL,
      AWS_KEY,
      'summarise the ticket',
      token,
      token.split('.')[2]!,
      'injected',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('decision log lines at another level', () => {
  it('follows logging.decisions: at debug they are absent from an info log', async () => {
    const lines: string[] = [];
    const svc = await startTestService(
      { decisionLines: 'debug' },
      pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
    );
    try {
      const res = await svc.post(
        '/v1/decide',
        { invocation: { model: 'm', operation: 'chat' } },
        svc.token(),
      );
      expect(res.body.decision_id).toBeDefined();
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.some((l) => l.includes(res.body.decision_id as string))).toBe(false);
    } finally {
      await svc.close();
    }
  });
});

describe('the log on error paths', () => {
  // The refusals that read the body or the token before giving up are the ones a log could quote them in.
  it('never carries the body, the token or the DPoP header of a refused request, even at trace level', async () => {
    const lines: string[] = [];
    const limits = { bodyBytes: 2048, payloadChars: 256 * 1024, maxDepth: 32, maxArrayItems: 10_000 };
    const svc = await startTestService(
      { limits },
      pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }),
    );
    const good = svc.token({ sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' });
    const body = JSON.stringify({
      invocation: { model: 'm', operation: 'chat' },
      payload: { prompt: PROMPT },
    });
    const send = async (text: string, headers: Record<string, string>) =>
      (
        await fetch(`${svc.url}/v1/decide`, {
          method: 'POST',
          body: text,
          headers: { 'content-type': 'application/json', ...headers },
        })
      ).status;
    try {
      const statuses = [
        await send(`{"payload":{"prompt":"${PROMPT}"} x`, { authorization: `Bearer ${good}` }),
        await send(`${body.slice(0, -1)},"pad":"${'x'.repeat(4096)}"}`, { authorization: `Bearer ${good}` }),
        await send(body, { authorization: `Bearer ${good}${AWS_KEY}` }),
        await send(body, { authorization: `Bearer ${AWS_KEY}` }),
        await send(body, { authorization: `Bearer ${svc.token({ sub: SECRET_EMAIL, exp: 1 })}` }),
        await send(body, { authorization: `DPoP ${good}`, dpop: AWS_KEY }),
        await send(body, { authorization: `Basic ${AWS_KEY}` }),
      ];
      expect(statuses).toEqual([400, 413, 401, 401, 401, 401, 401]);
      expect(lines.some((l) => l.includes('"token refused"'))).toBe(true);
      const everything = lines.join('\n');
      for (const secret of [SECRET_EMAIL, AWS_KEY, 'summarise the ticket', good.split('.')[2]!]) {
        expect(everything).not.toContain(secret);
      }
    } finally {
      await svc.close();
    }
  });
});
