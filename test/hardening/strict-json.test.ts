import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// Issue #13, item 7: what JSON.parse quietly changes is refused with a 400 that says where.

const invocation = '{"model":"anthropic.claude-haiku","operation":"chat"}';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

test('the precondition: the same body without the fault is decided', async () => {
  const reply = await svc.post(
    '/v1/decide',
    `{"invocation":${invocation},"context":{"env":"prod"}}`,
    svc.token(),
  );
  expect(reply.status).toBe(200);
});

test.each([
  [
    'a duplicate key in context',
    `{"invocation":${invocation},"context":{"env":"dev","env":"prod"}}`,
    'duplicate key "env"',
  ],
  [
    'a duplicate top-level key',
    `{"invocation":${invocation},"invocation":${invocation}}`,
    'duplicate key "invocation"',
  ],
  [
    'a duplicate key spelled with an escape',
    `{"invocation":${invocation},"context":{"a":1,"\\u0061":2}}`,
    'duplicate key "a"',
  ],
  [
    'a lone surrogate in a value',
    `{"invocation":${invocation},"context":{"s":"\\ud800"}}`,
    'lone UTF-16 surrogate',
  ],
  [
    'a lone surrogate in a key',
    `{"invocation":${invocation},"context":{"\\udc00":1}}`,
    'lone UTF-16 surrogate',
  ],
  ['a number too large for a double', `{"invocation":${invocation},"context":{"n":1e309}}`, 'too large'],
  ['a negative one', `{"invocation":${invocation},"context":{"n":-1e309}}`, 'too large'],
  [
    'an integer of 400 digits',
    `{"invocation":${invocation},"context":{"n":${'9'.repeat(400)}}}`,
    'too large',
  ],
])('%s is a recorded 400 that names it', async (_name, body, names) => {
  const reply = await svc.post('/v1/decide', body, svc.token());
  expect(reply.status).toBe(400);
  expect(reply.body.reasons).toEqual([expect.objectContaining({ code: 'bad_request' })]);
  expect((reply.body.reasons as { message: string }[])[0]!.message).toContain(names);
  expect(auditRow(svc.db, reply.body.decision_id as string)?.status).toBe(400);
});

test('a properly paired surrogate (an emoji) is accepted', async () => {
  const reply = await svc.post(
    '/v1/decide',
    `{"invocation":${invocation},"context":{"s":"\\ud83d\\ude00"}}`,
    svc.token(),
  );
  expect(reply.status).toBe(200);
});

test('the Data API refuses a lone surrogate with 400, not 503 policy_error', async () => {
  const reply = await svc.post('/v1/data/modelgate/decision', '{"input":{"s":"\\ud800"}}', svc.token());
  expect(reply.status).toBe(400);
  expect(auditRow(svc.db, reply.body.decision_id as string)?.status).toBe(400);
});
