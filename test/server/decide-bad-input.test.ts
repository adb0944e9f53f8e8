import { auditCount, auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

const invocation = { model: 'anthropic.claude-haiku', operation: 'chat' };

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

interface BadInput {
  name: string;
  body: unknown;
  contentType?: string;
  status: number;
  code: string;
  /** A fragment the message (or an error pointer) must contain: it names the problem. */
  names: string;
}

const cases: BadInput[] = [
  {
    name: 'invalid JSON',
    body: '{"invocation": ',
    status: 400,
    code: 'bad_request',
    names: 'not valid JSON',
  },
  { name: 'an empty body', body: '', status: 400, code: 'bad_request', names: 'empty' },
  { name: 'a JSON array', body: [invocation], status: 400, code: 'body_invalid', names: 'must be object' },
  { name: 'a JSON string', body: '"hello"', status: 400, code: 'body_invalid', names: 'must be object' },
  {
    name: 'a text/plain body',
    body: JSON.stringify({ invocation }),
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
    names: 'application/json',
  },
  {
    // RFC 8259: JSON between systems is UTF-8; a body that says it is not would be read wrongly.
    name: 'a body in another charset',
    body: JSON.stringify({ invocation }),
    contentType: 'application/json; charset=iso-8859-1',
    status: 415,
    code: 'unsupported_media_type',
    names: 'charset',
  },
  {
    name: 'a form body',
    body: 'invocation=x',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'unsupported_media_type',
    names: 'application/json',
  },
  { name: 'no invocation', body: { payload: {} }, status: 400, code: 'body_invalid', names: '/invocation' },
  {
    // No name needs one, and PostgreSQL's text cannot hold a NUL: refused alike on every backend.
    name: 'a model name with a control character',
    body: { invocation: { model: 'anthropic\u0000', operation: 'chat' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/model',
  },
  {
    // anthropic.claude-* would match it, and approvers and auditors would read it reversed.
    name: 'a model name with a bidi override',
    body: { invocation: { model: 'anthropic.claude-\u202ehsif', operation: 'chat' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/model',
  },
  {
    name: 'a tool name with a zero-width joiner',
    body: { invocation: { model: 'm', operation: 'tool_call', tools: [{ name: 'repo.read\u200d_file' }] } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/tools/0/name',
  },
  {
    name: 'a provider with a C1 control',
    body: { invocation: { model: 'm', provider: 'bed\u0085rock', operation: 'chat' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/provider',
  },
  {
    name: 'a purpose with a bidi isolate',
    body: { invocation: { model: 'm', operation: 'chat', purpose: 'support \u2067reply\u2069' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/purpose',
  },
  {
    name: 'no model',
    body: { invocation: { operation: 'chat' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/model',
  },
  {
    name: 'no operation',
    body: { invocation: { model: 'm' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/operation',
  },
  {
    name: 'an unknown operation',
    body: { invocation: { model: 'm', operation: 'teleport' } },
    status: 400,
    code: 'body_invalid',
    names: 'must be one of chat',
  },
  {
    name: 'a numeric model',
    body: { invocation: { model: 42, operation: 'chat' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/model',
  },
  {
    name: 'an empty model',
    body: { invocation: { model: '', operation: 'chat' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/model',
  },
  {
    name: 'max_tokens as a string',
    body: { invocation: { ...invocation, max_tokens: '100' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/max_tokens',
  },
  {
    name: 'negative max_tokens',
    body: { invocation: { ...invocation, max_tokens: -1 } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/max_tokens',
  },
  {
    name: 'fractional input_tokens',
    body: { invocation: { ...invocation, input_tokens: 1.5 } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/input_tokens',
  },
  {
    name: 'tools not a list',
    body: { invocation: { ...invocation, tools: 'tickets.read' } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/tools',
  },
  {
    name: 'a tool without a name',
    body: { invocation: { ...invocation, tools: [{}] } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/tools/0/name',
  },
  {
    name: 'an unknown top-level field',
    body: { invocation, subject: { id: 'admin' } },
    status: 400,
    code: 'body_invalid',
    names: '/subject',
  },
  {
    name: 'an unknown invocation field',
    body: { invocation: { ...invocation, allow: true } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/allow',
  },
  {
    name: 'a message without a role',
    body: { invocation, payload: { messages: [{ content: 'hi' }] } },
    status: 400,
    code: 'body_invalid',
    names: '/payload/messages/0/role',
  },
  {
    name: 'content that is a number',
    body: { invocation, payload: { messages: [{ role: 'user', content: 7 }] } },
    status: 400,
    code: 'body_invalid',
    names: '/payload/messages/0/content',
  },
  {
    name: 'a prompt that is an object',
    body: { invocation, payload: { prompt: { text: 'x' } } },
    status: 400,
    code: 'body_invalid',
    names: '/payload/prompt',
  },
  {
    name: 'context that is a list',
    body: { invocation, context: ['prod'] },
    status: 400,
    code: 'body_invalid',
    names: '/context',
  },
  {
    name: 'a huge model string',
    body: { invocation: { ...invocation, model: 'm'.repeat(5000) } },
    status: 400,
    code: 'body_invalid',
    names: '/invocation/model',
  },
  {
    name: 'deep nesting in context',
    body: { invocation, context: nested(100) },
    status: 400,
    code: 'body_too_deep',
    names: 'deeper than 32',
  },
  {
    name: 'a very long array',
    body: { invocation, payload: { arguments: new Array(20_000).fill(1) } },
    status: 400,
    code: 'body_too_deep',
    names: 'longer than 10000',
  },
  {
    name: 'a body over 1 MiB',
    body: { invocation, context: { blob: 'x'.repeat(1_100_000) } },
    status: 413,
    code: 'body_too_large',
    names: '1048576 bytes',
  },
  {
    name: 'payload text over 256 KiB',
    body: { invocation, payload: { prompt: 'word '.repeat(60_000) } },
    status: 413,
    code: 'payload_too_large',
    names: '262144',
  },
];

describe('POST /v1/decide: bad input', () => {
  let svc: TestService;
  let token: string;
  beforeAll(async () => {
    svc = await startTestService();
    token = svc.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
  });
  afterAll(() => svc.close());

  it('has at least 20 bad bodies to try', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)(
    'answers $name with $status $code, naming the problem, and records the rejection',
    async (c) => {
      const body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      const res = await svc.post(
        '/v1/decide',
        body,
        token,
        c.contentType ? { 'content-type': c.contentType } : {},
      );
      expect(res.status).toBe(c.status);
      expect(res.body.allow).toBe(false);
      const reasons = res.body.reasons as { code: string; message: string }[];
      expect(reasons[0]!.code).toBe(c.code);
      const said = JSON.stringify({ message: reasons[0]!.message, errors: res.body.errors ?? [] });
      expect(said).toContain(c.names);
      const row = auditRow(svc.db, res.body.decision_id as string);
      expect(row).toMatchObject({
        outcome: 'rejected',
        status: c.status,
        subject: 'spiffe://corp/support/reply-bot',
      });
      expect(row!.record.reasons).toEqual([c.code]);
    },
  );

  // Read as UTF-8 anyway, a stray byte became U+FFFD: text screening then saw something other than what was sent.
  it('refuses a body that is not valid UTF-8, naming the byte, and records it', async () => {
    const text = JSON.stringify({ invocation, payload: { prompt: 'key AKIA\u0000' } });
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf(0x5c)] = 0xff; // the backslash of \u0000 becomes a byte no UTF-8 text holds
    const res = await fetch(`${svc.url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: bytes,
    });
    const body = (await res.json()) as { decision_id: string; reasons: { code: string; message: string }[] };
    expect(res.status).toBe(400);
    expect(body.reasons[0]).toEqual({
      code: 'bad_request',
      message: `the body is not valid UTF-8 (RFC 8259): byte ${bytes.indexOf(0xff)} is not part of a character`,
    });
    expect(auditRow(svc.db, body.decision_id)).toMatchObject({ outcome: 'rejected', status: 400 });
  });

  it('takes a charset parameter that says UTF-8, in any case', async () => {
    const res = await svc.post('/v1/decide', { invocation }, token, {
      'content-type': 'application/json; Charset="UTF-8"',
    });
    expect(res.status).toBe(200);
  });

  it('lists every validation error as a JSON pointer with a plain message', async () => {
    const res = await svc.post('/v1/decide', { invocation: { operation: 'teleport', max_tokens: 0 } }, token);
    expect(res.status).toBe(400);
    const pointers = (res.body.errors as { pointer: string }[]).map((e) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/invocation/model', '/invocation/operation', '/invocation/max_tokens']),
    );
  });

  it('checks the token before the body: a bad body with no token is a 401', async () => {
    const res = await svc.post('/v1/decide', '{not json', null);
    expect(res.status).toBe(401);
    expect((res.body.reasons as { code: string }[])[0]!.code).toBe('token_missing');
  });

  it('never stores the raw payload of a rejected request', async () => {
    const before = auditCount(svc.db);
    const secret = 'AKIAQWERTYUIOPASDFGH';
    const res = await svc.post(
      '/v1/decide',
      { invocation: { ...invocation, max_tokens: -5 }, payload: { prompt: secret } },
      token,
    );
    expect(res.status).toBe(400);
    expect(auditCount(svc.db)).toBe(before + 1);
    expect(JSON.stringify(auditRow(svc.db, res.body.decision_id as string))).not.toContain(secret);
  });
});
