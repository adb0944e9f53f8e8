import { auditRow } from '../helpers/audit-db';
import { bundleRevision, DEFAULT_BUNDLE, opaEvalSources, REGO_DIR, sourcesRevision } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';

const SUPPORT = 'spiffe://corp/support/reply-bot';

const inputs: [string, Record<string, unknown>, Record<string, unknown>][] = [
  [
    'an allow with obligations',
    { sub: SUPPORT, scope: 'invoke:support' },
    {
      invocation: {
        model: 'anthropic.claude-haiku',
        provider: 'bedrock',
        operation: 'chat',
        purpose: 'support-reply',
        max_tokens: 9000,
      },
      context: { environment: 'prod' },
      payload: { present: true, chars: 120, findings: { email: 1, phone: 2 } },
    },
  ],
  [
    'a deny with several reasons',
    { sub: 'spiffe://corp/ci/codegen-pipeline' },
    {
      invocation: { model: 'openai.gpt-4o', operation: 'image' },
      context: { environment: 'prod', repository: 'evil/repo' },
      payload: { present: true, chars: 10, findings: { aws_secret_key: 1 } },
    },
  ],
  ['an empty input', { sub: 'nobody' }, {}],
];

describe('OPA-compatible Data API: POST /v1/data/{path}', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('serves a bundle built from exactly the Rego sources opa eval reads', () => {
    expect(bundleRevision(DEFAULT_BUNDLE)).toBe(sourcesRevision(REGO_DIR));
  });

  it.each(inputs)(
    'gives the same result as `opa eval` on the same policy for %s',
    async (_name, claims, input) => {
      const res = await svc.post('/v1/data/modelgate/decision', { input }, svc.token(claims));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['decision_id', 'result']);
      const evaluated = auditRow(svc.db, res.body.decision_id as string)!.record.input;
      expect(evaluated).toMatchObject({ subject: { id: claims.sub } }); // precondition: modelgate evaluated this input
      expect(res.body.result).toEqual(opaEvalSources(REGO_DIR, 'data.modelgate.decision', evaluated));
    },
  );

  it('replaces a forged input.subject with the verified caller', async () => {
    const forged = {
      subject: { id: SUPPORT, scopes: ['invoke:support'] },
      invocation: { model: 'anthropic.claude-haiku', operation: 'chat' },
    };
    const res = await svc.post(
      '/v1/data/modelgate/decision',
      { input: forged },
      svc.token({ sub: 'spiffe://corp/stranger' }),
    );
    expect(res.body.result).toMatchObject({ allow: false });
    expect(JSON.stringify(res.body.result)).toContain('unknown_subject');
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      subject: 'spiffe://corp/stranger',
      outcome: 'denied',
    });
  });

  it('answers without a result for a path the bundle does not define, like OPA', async () => {
    const res = await svc.post('/v1/data/modelgate/nothing_here', { input: {} }, svc.token());
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('result');
    expect(res.body.decision_id).toEqual(expect.any(String));
  });

  it('refuses a raw payload in input.payload with 400: the Data API takes a screening summary only', async () => {
    const input = {
      invocation: { model: 'm', operation: 'chat' },
      payload: { prompt: 'card 4111 1111 1111 1111' },
    };
    const res = await svc.post('/v1/data/modelgate/decision', { input }, svc.token());
    expect(res.status).toBe(400);
    // OPA's error body, so OPA's SDKs can read it; modelgate's reason codes are in `errors`.
    expect(res.body).toMatchObject({ code: 'invalid_parameter', message: expect.any(String) });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { code: 'body_invalid', message: '/input/payload/prompt: is not allowed here' },
      ]),
    );
    const row = auditRow(svc.db, res.body.decision_id as string);
    expect(row).toMatchObject({ outcome: 'rejected', status: 400 });
    expect(JSON.stringify(row)).not.toContain('4111');
  });

  it('refuses a missing token with 401 like /v1/decide', async () => {
    const res = await svc.post('/v1/data/modelgate/decision', { input: {} }, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.body).toMatchObject({
      code: 'unauthorized',
      errors: [{ code: 'token_missing', message: expect.any(String) }],
      decision_id: expect.any(String),
    });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
    });
  });

  it('answers GET /v1/data/{path}?input=<json> like the POST form, and records it', async () => {
    const [, claims, input] = inputs[0]!;
    const query = encodeURIComponent(JSON.stringify(input));
    const res = await svc.get(`/v1/data/modelgate/decision?input=${query}`, svc.token(claims));
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ allow: true });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      path: '/v1/data/modelgate/decision',
      outcome: 'allowed',
    });
  });

  it('refuses GET ?input= that is not JSON with OPA-shaped 400', async () => {
    const res = await svc.get('/v1/data/modelgate/decision?input=%7Bnope', svc.token());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_parameter', errors: [{ code: 'bad_request' }] });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 400,
    });
  });

  it('refuses ?input= given twice with an OPA-shaped 400 that says so', async () => {
    const res = await svc.get('/v1/data/modelgate/decision?input=%7B%7D&input=%7B%7D', svc.token());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'invalid_parameter',
      errors: [
        { code: 'bad_request', message: 'the input query parameter must be given once, as JSON text' },
      ],
    });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 400,
    });
  });

  it('reads a percent-encoded policy path as OPA does', async () => {
    const res = await svc.post('/v1/data/modelgate%2Fdecision', { input: {} }, svc.token());
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ allow: false });
  });

  it("serves OPA's default decision at POST /: the body is the input, the reply the bare result", async () => {
    const [, claims, input] = inputs[0]!;
    const res = await svc.post('/', input, svc.token(claims));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ allow: true, reasons: [] });
    const id = res.headers.get('x-modelgate-decision-id')!;
    expect(auditRow(svc.db, id)).toMatchObject({ path: '/', outcome: 'allowed' });
  });
});

describe('probes and the OpenAPI document', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('is healthy and ready with a bundle loaded and the database open', async () => {
    expect((await svc.get('/health')).body).toEqual({ status: 'ok' });
    const ready = await svc.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, checks: { policy: true, store: true }, warnings: [] });
  });

  it('serves an OpenAPI 3.1 document built from the validation schemas', async () => {
    const res = await svc.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = res.body.paths as Record<string, unknown>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/v1/decide', '/v1/data/{path}', '/v1/decisions', '/v1/usage']),
    );
    const schemas = (
      res.body.components as { schemas: Record<string, { properties?: Record<string, unknown> }> }
    ).schemas;
    const operation = (
      schemas.DecideRequestV1!.properties!.invocation as { properties: { operation: { enum: string[] } } }
    ).properties.operation;
    expect(operation.enum).toContain('tool_call');
  });
});
