/**
 * Separation of duties covers the agent as well as the subject: an agent that asked for an approval must not
 * decide it through a token it holds for someone else (RFC 8693 delegation: sub is the approver, act the agent),
 * whatever the approver's scope and groups. Before, only the approver's own subject was compared.
 */
import { startTestService, type TestService } from '../helpers/service';
import {
  APPROVE_SCOPE,
  ASSISTANT,
  ASSISTANT_AGENT,
  codes,
  pipelineChange,
  tokens,
} from './approval-fixtures';

describe('self-approval through a delegated token', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  beforeAll(async () => {
    svc = await startTestService();
    t = tokens(svc);
  });
  afterAll(async () => {
    await svc.close();
  });

  const delegated = (act: Record<string, unknown>) =>
    svc.token({ sub: 'user:alice@corp', scope: APPROVE_SCOPE, groups: ['platform-leads'], act });

  it.each([
    ['the requesting agent acting for an approver', { sub: ASSISTANT_AGENT }],
    ['the requesting subject acting for an approver', { sub: ASSISTANT }],
    [
      'the requesting agent deeper in the actor chain',
      { sub: 'agent:wrapper', act: { sub: ASSISTANT_AGENT } },
    ],
  ])('refuses %s with 403 self_approval, and lists it as not decidable', async (_what, act) => {
    const asked = await svc.post(
      '/v1/decide',
      pipelineChange({ payload: { messages: [{ role: 'user', content: `change ${JSON.stringify(act)}` }] } }),
      t.requester,
    );
    const id = (asked.body.approval as { id: string }).id;
    const token = delegated(act);

    const listed = await svc.get(`/v1/approvals/${id}`, token);
    expect(listed.status).toBe(200);
    expect((listed.body.approval as { can_decide: boolean }).can_decide).toBe(false);

    for (const action of ['approve', 'deny']) {
      const res = await svc.post(`/v1/approvals/${id}/${action}`, {}, token);
      expect(res.status).toBe(403);
      expect(codes(res.body)).toEqual(['self_approval']);
    }
    // A person with the same scope and group, without the agent, still decides it.
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);
  });
});
