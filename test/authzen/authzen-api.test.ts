import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditCount, auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { startTodoService } from './todo-service';

const RICK = { type: 'user', id: 'rick@the-citadel.com' };
const BETH = { type: 'user', id: 'beth@the-smiths.com' };
const todo = (id: string, owner: string) => ({ type: 'todo', id, properties: { ownerID: owner } });

let service: TestService;
let token: string;

beforeAll(async () => {
  service = await startTodoService(mkdtempSync(path.join(os.tmpdir(), 'mg-authzen-api-')));
  token = service.token({ sub: 'spiffe://corp/todo-backend' });
});

afterAll(async () => {
  await service?.close();
});

describe('POST /access/v1/evaluation', () => {
  it('answers a deny with its decision id and reasons in context, recorded with the AuthZEN input', async () => {
    const reply = await service.post(
      '/access/v1/evaluation',
      { subject: BETH, action: { name: 'can_delete_todo' }, resource: todo('t1', RICK.id) },
      token,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.decision).toBe(false);
    const context = reply.body.context as { decision_id: string; reasons: { code: string }[] };
    expect(context.reasons.map((r) => r.code)).toEqual(['not_permitted']);
    const row = auditRow(service.db, context.decision_id);
    expect(row).toMatchObject({ outcome: 'denied', path: '/access/v1/evaluation' });
    expect(row?.subject).toBe('spiffe://corp/todo-backend');
    expect(row?.record.input).toMatchObject({ subject: BETH, action: { name: 'can_delete_todo' } });
  });

  it('echoes X-Request-ID on the reply', async () => {
    const reply = await service.post(
      '/access/v1/evaluation',
      { subject: RICK, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'list' } },
      token,
      { 'x-request-id': 'bfe9eb29-ab87-4ca3-be83-a1d5d8305716' },
    );
    expect(reply.body.decision).toBe(true);
    expect(reply.headers.get('x-request-id')).toBe('bfe9eb29-ab87-4ca3-be83-a1d5d8305716');
  });

  it('rejects a caller without a token with 401, recorded', async () => {
    const before = auditCount(service.db);
    const reply = await service.post(
      '/access/v1/evaluation',
      { subject: RICK, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'list' } },
      null,
    );
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="modelgate"');
    expect(auditRow(service.db, reply.body.decision_id as string)?.outcome).toBe('rejected');
    expect(auditCount(service.db)).toBe(before + 1);
  });

  it('rejects an evaluation without a resource with 400 naming it', async () => {
    const reply = await service.post(
      '/access/v1/evaluation',
      { subject: RICK, action: { name: 'x' } },
      token,
    );
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body.errors)).toContain('/resource');
  });
});

describe('POST /access/v1/evaluations', () => {
  const batch = (semantic: string) => ({
    subject: BETH,
    action: { name: 'can_read_todos' },
    resource: { type: 'todo', id: 'list' },
    options: { evaluations_semantic: semantic },
    evaluations: [{}, { action: { name: 'can_create_todo' } }, {}],
  });

  it('executes all items by default and records each as its own decision', async () => {
    const before = auditCount(service.db);
    const reply = await service.post('/access/v1/evaluations', batch('execute_all'), token);
    expect(reply.status).toBe(200);
    const items = reply.body.evaluations as { decision: boolean; context: { decision_id: string } }[];
    expect(items.map((e) => e.decision)).toEqual([true, false, true]);
    expect(new Set(items.map((e) => e.context.decision_id)).size).toBe(3);
    expect(auditCount(service.db)).toBe(before + 3);
  });

  it('stops at the first deny under deny_on_first_deny and records only what ran', async () => {
    const before = auditCount(service.db);
    const reply = await service.post('/access/v1/evaluations', batch('deny_on_first_deny'), token);
    expect((reply.body.evaluations as { decision: boolean }[]).map((e) => e.decision)).toEqual([true, false]);
    expect(auditCount(service.db)).toBe(before + 2);
  });

  it('stops at the first permit under permit_on_first_permit', async () => {
    const reply = await service.post('/access/v1/evaluations', batch('permit_on_first_permit'), token);
    expect((reply.body.evaluations as { decision: boolean }[]).map((e) => e.decision)).toEqual([true]);
  });

  it('answers a request without items as a single evaluation', async () => {
    const reply = await service.post(
      '/access/v1/evaluations',
      { subject: RICK, action: { name: 'can_create_todo' }, resource: { type: 'todo', id: 'new' } },
      token,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.decision).toBe(true);
    expect(reply.body.evaluations).toBeUndefined();
  });

  it('rejects an item that lacks a member the top level does not give, with 400 and its pointer', async () => {
    const reply = await service.post(
      '/access/v1/evaluations',
      { subject: RICK, evaluations: [{ action: { name: 'can_read_todos' } }] },
      token,
    );
    expect(reply.status).toBe(400);
    expect(reply.body.reasons).toEqual([expect.objectContaining({ code: 'body_invalid' })]);
    expect(JSON.stringify(reply.body.errors)).toContain('/evaluations/0/resource');
  });

  // One complaint per missing member, saying where else it could come from: listed one by one, "/resource is
  // required" and "/evaluations/0/resource is required" read as if both were needed.
  it('names both places a missing member may come from, in one problem', async () => {
    const reply = await service.post(
      '/access/v1/evaluations',
      {
        subject: RICK,
        action: { name: 'can_read_todos' },
        evaluations: [{ resource: todo('t1', RICK.id) }, {}],
      },
      token,
    );
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([
      { pointer: '/resource', message: 'is required, or else /evaluations/1/resource is' },
    ]);
  });

  it('rejects an unknown evaluations_semantic with 400', async () => {
    const reply = await service.post('/access/v1/evaluations', batch('first_come'), token);
    expect(reply.status).toBe(400);
  });
});

describe('GET /.well-known/authzen-configuration', () => {
  it('publishes both evaluation endpoints under the PDP identifier', async () => {
    const reply = await service.get('/.well-known/authzen-configuration');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      policy_decision_point: service.url,
      access_evaluation_endpoint: `${service.url}/access/v1/evaluation`,
      access_evaluations_endpoint: `${service.url}/access/v1/evaluations`,
    });
  });
});

describe('the OpenAPI document', () => {
  it('describes the AuthZEN paths with the schemas the requests are validated against', async () => {
    const reply = await service.get('/openapi.json');
    const paths = reply.body.paths as Record<string, unknown>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/access/v1/evaluation',
        '/access/v1/evaluations',
        '/.well-known/authzen-configuration',
      ]),
    );
    const schemas = (reply.body.components as { schemas: Record<string, { required?: string[] }> }).schemas;
    expect(schemas.AuthzenEvaluationV1?.required).toEqual(['subject', 'action', 'resource']);
  });
});

describe('a bundle without the AuthZEN entrypoint', () => {
  let plain: TestService;
  beforeAll(async () => {
    plain = await startTestService();
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('fails closed with 503 policy_unavailable, recorded', async () => {
    const reply = await plain.post(
      '/access/v1/evaluation',
      { subject: RICK, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'list' } },
      plain.token(),
    );
    expect(reply.status).toBe(503);
    expect(reply.body.reasons).toEqual([expect.objectContaining({ code: 'policy_unavailable' })]);
    expect(auditRow(plain.db, reply.body.decision_id as string)?.outcome).toBe('rejected');
  });
});
