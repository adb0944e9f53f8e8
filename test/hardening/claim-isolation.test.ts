import { auditCount, auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// Issue #13, item 2: a signed token with claims nested 2500 deep made the hand-off to the writer
// thread throw and failed its whole group-commit batch. One request's record must never fail another's.

const invocation = { model: 'anthropic.claude-haiku', operation: 'chat' };

// Arrays: two bytes a level, so 2500 levels fit in a header (about 7 KB of token).
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

let svc: TestService;
beforeAll(async () => {
  // Every hostile 401 is counted below: record each one rather than counting them together.
  svc = await startTestService({ audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 } });
});
afterAll(async () => {
  await svc?.close();
});

test('a deeply nested claim is a recorded 401 token_claims_too_large', async () => {
  const reply = await svc.post('/v1/decide', { invocation }, svc.token({ deep: nested(2500) }));
  expect(reply.status).toBe(401);
  expect(reply.body.reasons).toEqual([expect.objectContaining({ code: 'token_claims_too_large' })]);
  expect(reply.headers.get('www-authenticate')).toContain('token_claims_too_large');
  expect(auditRow(svc.db, reply.body.decision_id as string)?.status).toBe(401);
});

test('20 hostile tokens among 400 concurrent normal requests fail none of the normal ones', async () => {
  const good = svc.token();
  const hostile = svc.token({ deep: nested(2500) });
  const before = auditCount(svc.db);
  const sends = Array.from({ length: 420 }, (_, i) =>
    svc
      .post('/v1/decide', { invocation }, i % 21 === 0 ? hostile : good)
      .then((r) => ({ hostile: i % 21 === 0, r })),
  );
  const replies = await Promise.all(sends);
  const normal = replies.filter((x) => !x.hostile);
  expect(normal).toHaveLength(400);
  expect(normal.filter((x) => x.r.status !== 200).map((x) => x.r.status)).toEqual([]);
  expect(replies.filter((x) => x.hostile).every((x) => x.r.status === 401)).toBe(true);
  expect(auditCount(svc.db) - before).toBe(420);
});
