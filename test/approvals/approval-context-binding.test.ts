/**
 * An approval is bound to the context the policy decided on (environment, repository, lineage), not only to
 * the invocation and payload: the shipped policy allows the coding assistant in dev and staging and in every
 * corp/* repository, so a grant for one place must not be spendable in another.
 */
import { startTestService, type TestService } from '../helpers/service';
import { codes, pipelineChange, tokens } from './approval-fixtures';

describe('approval binding and the request context', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  beforeAll(async () => {
    svc = await startTestService();
    t = tokens(svc);
  });
  afterAll(async () => {
    await svc.close();
  });

  const withContext = (context: Record<string, unknown>, approvalId?: string) => ({
    ...pipelineChange(approvalId ? { approval_id: approvalId } : {}),
    context,
  });

  it('refuses an approval granted for staging/corp/webapp on a call for dev/corp/payments', async () => {
    const asked = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/webapp' }),
      t.requester,
    );
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);

    const elsewhere = await svc.post(
      '/v1/decide',
      withContext({ environment: 'dev', repository: 'corp/payments' }, id),
      t.requester,
    );
    expect(elsewhere.status).toBe(403);
    expect(codes(elsewhere.body)).toEqual(['approval_mismatch']);

    // The request it was granted for is still allowed, once.
    const same = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/webapp' }, id),
      t.requester,
    );
    expect(same.status).toBe(200);
    expect(same.body.allow).toBe(true);
  });

  it('asks for a separate approval for the same invocation in another context', async () => {
    const a = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/a' }),
      t.requester,
    );
    const b = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/b' }),
      t.requester,
    );
    const again = await svc.post(
      '/v1/decide',
      withContext({ repository: 'corp/a', environment: 'staging' }),
      t.requester,
    );
    const idOf = (r: { body: Record<string, unknown> }) => (r.body.approval as { id: string }).id;
    expect(idOf(a)).not.toBe(idOf(b));
    // Key order does not matter: canonical JSON.
    expect(idOf(again)).toBe(idOf(a));
  });
});
