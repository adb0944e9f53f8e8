/**
 * GET /v1/approvals pages through every approval: a page holds at most `limit` (≤ 200), and `next_cursor` leads to
 * the next, so that approvals past the first page are not out of the approvers' sight.
 */
import { buildOpenApiDocument } from '../../src/schemas/openapi';
import { startTestService, type TestService } from '../helpers/service';
import { codes, pipelineChange, tokens } from './approval-fixtures';

describe('paging through approvals', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;
  const asked: string[] = [];

  beforeAll(async () => {
    svc = await startTestService();
    t = tokens(svc);
    for (const n of [1, 2, 3, 4, 5]) {
      const body = pipelineChange({ payload: { messages: [{ role: 'user', content: `change ${n}` }] } });
      const reply = await svc.post('/v1/decide', body, t.requester);
      expect(codes(reply.body)).toEqual(['approval_required']);
      asked.push((reply.body.approval as { id: string }).id);
    }
  });
  afterAll(async () => {
    await svc.close();
  });

  const ids = (body: Record<string, unknown>) => (body.approvals as { id: string }[]).map((a) => a.id);

  it('answers pages of at most limit, in the order of the whole list, each with the cursor of the next', async () => {
    const whole = await svc.get('/v1/approvals?limit=200', t.approver);
    expect(whole.body.next_cursor).toBeNull();
    expect([...ids(whole.body)].sort()).toEqual([...asked].sort());

    const first = await svc.get('/v1/approvals?limit=2', t.approver);
    expect(first.status).toBe(200);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await svc.get(
      `/v1/approvals?limit=2&cursor=${first.body.next_cursor as string}`,
      t.approver,
    );
    const third = await svc.get(
      `/v1/approvals?limit=2&cursor=${second.body.next_cursor as string}`,
      t.approver,
    );
    expect(third.body.next_cursor).toBeNull();
    expect([first, second, third].map((page) => ids(page.body).length)).toEqual([2, 2, 1]);
    expect([first, second, third].flatMap((page) => ids(page.body))).toEqual(ids(whole.body));
  });

  it('answers 400 bad_request for a cursor that is not one', async () => {
    const reply = await svc.get('/v1/approvals?cursor=abc', t.approver);
    expect(reply.status).toBe(400);
    expect(codes(reply.body)).toEqual(['bad_request']);
  });
  // Schemathesis sent a cursor the document allowed (`0.` and 36 zeros) and got a 400: the pattern said less
  // than the route checks.
  it('documents the cursor the route accepts, no looser', async () => {
    const operation = (
      buildOpenApiDocument().paths as Record<string, Record<string, { parameters: unknown[] }>>
    )['/v1/approvals']!.get!;
    const cursor = operation.parameters.find((p) => (p as { name: string }).name === 'cursor') as {
      schema: { pattern: string };
    };
    const documented = new RegExp(cursor.schema.pattern);
    const zeros = `0.${'0'.repeat(36)}`;
    expect(documented.test(zeros)).toBe(false);
    expect((await svc.get(`/v1/approvals?cursor=${zeros}`, t.approver)).status).toBe(400);
    const wellFormed = `1700000000000.${asked[0]!}`;
    expect(documented.test(wellFormed)).toBe(true);
    expect((await svc.get(`/v1/approvals?cursor=${wellFormed}`, t.approver)).status).toBe(200);
  });
});
