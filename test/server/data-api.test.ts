import { auditRow } from '../helpers/audit-db';
import { bundleRevision, DEFAULT_BUNDLE, opaEvalSources, REGO_DIR, sourcesRevision } from '../helpers/opa';
import { fetchReply, startTestService, type TestService } from '../helpers/service';

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

  // approval and lineage are facts modelgate establishes on /v1/decide (an approval bound to the request, a
  // verified parent chain); a policy trusts them as it trusts subject. On the Data API the caller wrote them:
  // a forged granted approval made the policy drop require_approval, recorded as allowed.
  it('drops a forged input.approval and input.lineage: only /v1/decide establishes them', async () => {
    const input = {
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation: 'tool_call',
        purpose: 'ticket-triage',
        tools: [{ name: 'tickets.close' }],
      },
      approval: { id: 'forged', status: 'approved', approved_by: 'me', approved_at: 'now', uses_left: 5 },
      lineage: { depth: 0, root_id: 'forged', parent_id: 'forged' },
    };
    const token = svc.token({
      sub: 'spiffe://corp/agents/triage-workflow',
      scope: 'invoke:agents',
      act: { sub: 'agent:triage' },
    });
    const res = await svc.post('/v1/data/modelgate/decision', { input }, token);
    expect(res.status).toBe(200);
    expect((res.body.result as { obligations: { type: string }[] }).obligations).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'require_approval' })]),
    );
    const recorded = auditRow(svc.db, res.body.decision_id as string)!.record.input as Record<
      string,
      unknown
    >;
    expect(recorded).not.toHaveProperty('approval');
    expect(recorded).not.toHaveProperty('lineage');
    expect(res.body.result).toEqual(opaEvalSources(REGO_DIR, 'data.modelgate.decision', recorded));
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
    // RFC 6750 section 3.1: a request without credentials gets a challenge without an error code.
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="modelgate"');
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

  it('decodes the policy path once: an encoded percent sign stays a percent sign', async () => {
    const res = await svc.post('/v1/data/modelgate%252Fdecision', { input: {} }, svc.token());
    expect(res.status).toBe(200);
    expect(res.body.result).toBeUndefined();
    expect(res.body.warning).toMatchObject({
      message: expect.stringMatching(/^modelgate%2Fdecision is not an entrypoint/),
    });
  });

  it("serves OPA's default decision at POST /: the body is the input, the reply the bare result", async () => {
    const [, claims, input] = inputs[0]!;
    const res = await svc.post('/', input, svc.token(claims));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ allow: true, reasons: [] });
    const id = res.headers.get('x-modelgate-decision-id')!;
    expect(auditRow(svc.db, id)).toMatchObject({ path: '/', outcome: 'allowed' });
  });

  it("keeps OPA's error body on POST / as the Data API gives it, reason codes included", async () => {
    const res = await svc.post('/', {}, null);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      code: 'unauthorized',
      message: expect.not.stringMatching(/^undefined/),
      errors: [{ code: 'token_missing' }],
    });
    expect(res.body.errors).toHaveLength(1);
  });
});

describe('the Data API takes what OPA clients send', () => {
  let svc: TestService;
  const INPUT_MISSING = { code: 'api_usage_warning', message: "'input' key missing from the request" };
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());
  const raw = (route: string, init: RequestInit & { headers?: Record<string, string> }) =>
    fetchReply(`${svc.url}${route}`, {
      method: 'POST',
      ...init,
      headers: { authorization: `Bearer ${svc.token()}`, ...init.headers },
    });

  it.each([
    ['no input key', '{}'],
    ['input null', '{"input":null}'],
  ])('evaluates with %s, and warns as OPA does', async (_name, body) => {
    const res = await svc.post('/v1/data/modelgate/decision', body, svc.token());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: { allow: false }, warning: INPUT_MISSING });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({ outcome: 'denied' });
  });

  it('takes an empty body with no Content-Type as no input, on the Data API and on POST /', async () => {
    const data = await raw('/v1/data/modelgate/decision', {});
    expect(data).toMatchObject({ status: 200, body: { result: { allow: false }, warning: INPUT_MISSING } });
    const dflt = await raw('/', {});
    expect(dflt).toMatchObject({ status: 200, body: { allow: false } });
  });

  it.each(['application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream'])(
    'reads a JSON body sent as %s, as OPA does (what curl -d sends)',
    async (type) => {
      const body = JSON.stringify({ input: inputs[0]![2] });
      const res = await fetchReply(`${svc.url}/v1/data/modelgate/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.token(inputs[0]![1])}`, 'content-type': type },
        body,
      });
      expect(res).toMatchObject({ status: 200, body: { result: { allow: true } } });
      expect(res.body).not.toHaveProperty('warning');
    },
  );

  it('refuses YAML, which OPA reads, with a 415 that says to send JSON', async () => {
    const res = await raw('/v1/data/modelgate/decision', {
      headers: { 'content-type': 'application/x-yaml' },
      body: 'input: {}\n',
    });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringMatching(/YAML.*JSON/),
    });
  });

  it('still refuses a body that is not JSON, whatever its type', async () => {
    const res = await raw('/v1/data/modelgate/decision', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'input=1',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_parameter', errors: [{ code: 'bad_request' }] });
  });

  it.each(['/v1/data//modelgate/decision', '/v1/data/modelgate//decision/'])(
    'reads %s as the path without empty segments (OPA redirects to it)',
    async (route) => {
      const res = await svc.post(route, { input: {} }, svc.token());
      expect(res).toMatchObject({ status: 200, body: { result: { allow: false } } });
      expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
        path: '/v1/data/modelgate/decision',
      });
    },
  );

  it.each([
    ['a rule that is no entrypoint', '/v1/data/modelgate/entitlement', 'modelgate/entitlement'],
    ['the root document', '/v1/data', 'the root document'],
    ['the root document, with a slash', '/v1/data/', 'the root document'],
  ])('answers %s without a result and a warning that names the entrypoints', async (_name, route, what) => {
    for (const method of ['POST', 'GET']) {
      const res = await raw(route, method === 'POST' ? { body: '{"input":{}}' } : { method });
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('result');
      expect(res.body.warning).toEqual({
        code: 'api_usage_warning',
        message: expect.stringContaining(`${what} is not an entrypoint of bundle modelgate`),
      });
      expect((res.body.warning as { message: string }).message).toContain('modelgate/decision');
      expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({ outcome: 'denied' });
    }
  });

  it.each([
    ['POST', (q: string) => ['/v1/data/modelgate/decision' + q, { body: '{"input":{}}' }] as const],
    ['GET', (q: string) => ['/v1/data/modelgate/decision' + q, { method: 'GET' }] as const],
  ])(
    '%s answers ?metrics and ?provenance as OPA names them, and ?metrics=false not',
    async (_method, request) => {
      const [route, init] = request('?metrics&provenance=true');
      const res = await raw(route, init);
      expect(res.status).toBe(200);
      expect(res.body.metrics).toEqual({
        timer_rego_query_eval_ns: expect.any(Number),
        timer_server_handler_ns: expect.any(Number),
      });
      const metrics = res.body.metrics as {
        timer_rego_query_eval_ns: number;
        timer_server_handler_ns: number;
      };
      expect(metrics.timer_rego_query_eval_ns).toBeGreaterThan(0);
      expect(metrics.timer_server_handler_ns).toBeGreaterThanOrEqual(metrics.timer_rego_query_eval_ns);
      expect(res.body.provenance).toEqual({
        version: expect.stringMatching(/^modelgate \d+\.\d+\.\d+/),
        bundles: { modelgate: { revision: bundleRevision(DEFAULT_BUNDLE) } },
      });
      const [off, offInit] = request('?metrics=false');
      const plain = await raw(off, offInit);
      expect(plain.body).not.toHaveProperty('metrics');
      expect(plain.body).not.toHaveProperty('provenance');
    },
  );

  it.each([
    ['PUT', '/v1/data/modelgate/x', 405, 'invalid_operation'],
    ['DELETE', '/v1/data/modelgate/x', 405, 'invalid_operation'],
    ['GET', '/v1/policies', 404, 'resource_not_found'],
    ['POST', '/v1/query', 404, 'resource_not_found'],
    ['POST', '/v1/compile', 404, 'resource_not_found'],
  ])(
    "answers %s %s with OPA's error body (%i %s), which OPA clients parse",
    async (method, route, status, code) => {
      const res = await raw(route, { method, body: method === 'GET' ? undefined : '{}' });
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code, message: expect.stringContaining(route) });
    },
  );
});

describe('probes and the OpenAPI document', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('is healthy and ready with a bundle loaded and the database open', async () => {
    // OPA's body, which OPA clients check (opa-python's check_health wants it empty).
    for (const query of ['', '?bundles', '?plugins']) {
      const health = await svc.get(`/health${query}`);
      expect(health.status).toBe(200);
      expect(health.body).toEqual({});
    }
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
