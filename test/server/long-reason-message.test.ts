import { auditRow } from '../helpers/audit-db';
import { SUPPORT_REPLY_CALL, startTestService, type TestService } from '../helpers/service';

const body = SUPPORT_REPLY_CALL;

describe('a reason message longer than the decision document allows', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it("keeps the policy's reason code and shortens its message, rather than calling the output invalid", async () => {
    // The default policy names the subject in its message: a long SPIFFE ID makes the message long.
    const subject = `spiffe://corp/${'a'.repeat(1500)}`;
    const res = await svc.post('/v1/decide', body, svc.token({ sub: subject, scope: 'invoke:support' }));
    expect(res.status).toBe(200);
    const reasons = res.body.reasons as { code: string; message: string }[];
    expect(reasons.map((r) => r.code)).toEqual(['unknown_subject']);
    expect(reasons[0]!.message.startsWith('no entitlements for subject spiffe://corp/aaa')).toBe(true);
    expect([...reasons[0]!.message]).toHaveLength(1024);
    expect(reasons[0]!.message.endsWith('…')).toBe(true);
    expect(auditRow(svc.db, res.body.decision_id as string)!.record.reasons).toEqual(['unknown_subject']);
  });
});
