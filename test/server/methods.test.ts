import http from 'node:http';
import { AllowedMethods } from '../../src/server/allowed-methods';
import { buildOpenApiDocument } from '../../src/schemas/openapi';
import { auditCount } from '../helpers/audit-db';
import { fetchReply, startTestService, type TestService } from '../helpers/service';

const ZERO_ID = '00000000-0000-7000-8000-000000000000';

// A documented path asked with a method it does not take answers 405 with an Allow header (RFC 9110), as
// schemathesis' unsupported_method and allow_header_conformance checks expect; before, every such request
// was a 404 "no route", and OPTIONS too.

const paths = buildOpenApiDocument().paths as Record<string, Record<string, unknown>>;

describe('AllowedMethods, read from the OpenAPI document', () => {
  const allowed = new AllowedMethods(paths);

  it.each([
    ['/health', ['GET', 'HEAD', 'OPTIONS']],
    ['/v1/decide', ['POST', 'OPTIONS']],
    ['/', ['POST', 'OPTIONS']],
    ['/v1/decisions/0193a8f2/usage', ['POST', 'OPTIONS']],
    ['/v1/decisions/0193a8f2', ['GET', 'HEAD', 'OPTIONS']],
    ['/v1/data/modelgate/decision', ['POST', 'GET', 'HEAD', 'OPTIONS']],
    ['/health/', ['GET', 'HEAD', 'OPTIONS']],
    ['/V1/Decide', ['POST', 'OPTIONS']],
    ['/v1/data/', ['POST', 'GET', 'HEAD', 'OPTIONS']],
  ])('%s takes %j', (path, methods) => {
    expect(allowed.of(path)).toEqual(methods);
  });

  it.each(['/nowhere', '/v1/decisions/a/b', '/healthz', '/v1/datas'])('%s is not documented', (path) => {
    expect(allowed.of(path)).toBeUndefined();
  });
});

describe('methods a path does not take, on a running service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  // node:http rather than fetch, which refuses TRACE.
  const ask = (method: string, path: string) =>
    new Promise<{ status: number; allow: string | undefined; body: unknown }>((resolve, reject) => {
      const req = http.request(`${svc.url}${path}`, { method }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            allow: res.headers.allow,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });

  it.each([
    ['TRACE', '/health', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/v1/decide', 'POST, OPTIONS'],
    ['GET', '/v1/decide', 'POST, OPTIONS'],
    ['PUT', '/v1/data/modelgate/decision', 'POST, GET, HEAD, OPTIONS'],
    ['PATCH', '/v1/decisions/0193a8f2-0000-7000-8000-000000000000', 'GET, HEAD, OPTIONS'],
    ['GET', '/v1/decisions/0193a8f2-0000-7000-8000-000000000000/usage', 'POST, OPTIONS'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const res = await ask(method, path);
    expect(res.status).toBe(405);
    expect(res.allow).toBe(allow);
    const reason = {
      code: 'method_not_allowed',
      message: `${method} is not allowed on ${path}; it takes ${allow}`,
    };
    // Under OPA's API paths, OPA's error body, which OPA clients parse.
    expect(res.body).toEqual(
      path.startsWith('/v1/data/')
        ? { code: 'invalid_operation', message: reason.message, errors: [reason] }
        : { allow: false, reasons: [reason] },
    );
  });

  it('records nothing for a 405: no decision was asked for', async () => {
    const before = auditCount(svc.db);
    expect((await ask('TRACE', '/v1/decide')).status).toBe(405);
    expect((await ask('DELETE', '/v1/decisions')).status).toBe(405);
    expect(auditCount(svc.db)).toBe(before);
  });

  // Every operation the document names, called with its own method, reaches its route (or the 404 of one not
  // configured here), never the 405.
  it.each(
    Object.entries(paths).flatMap(([template, operations]) =>
      Object.keys(operations).map((method) => [method.toUpperCase(), template] as const),
    ),
  )('%s %s is not a 405', async (method, template) => {
    const path = template.replace('{path}', 'modelgate/decision').replace(/\{[^}]+\}/g, ZERO_ID);
    const res = await fetchReply(`${svc.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${svc.token()}`, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    expect(res.status).not.toBe(405);
  });

  it('answers OPTIONS with 204 and the methods the path takes', async () => {
    const res = await ask('OPTIONS', '/v1/decisions');
    expect(res.status).toBe(204);
    expect(res.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('still answers 404 for a path nothing documents, whatever the method', async () => {
    for (const method of ['GET', 'TRACE', 'OPTIONS']) {
      const res = await ask(method, '/v2/decide');
      expect(res.status).toBe(404);
      expect(res.allow).toBeUndefined();
    }
  });

  it('leaves a documented method whose feature is not configured to the 404 it gave before', async () => {
    // console.oidc is not configured here: the route is not mounted.
    const res = await fetchReply(`${svc.url}/console/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
  });

  it('still serves the methods the path takes', async () => {
    expect((await ask('GET', '/health')).status).toBe(200);
    expect((await ask('HEAD', '/health')).status).toBe(200);
  });
});
