import { auditRow } from '../helpers/audit-db';
import { startChildService } from '../helpers/child-service';
import { SUPPORT_REPLY_CALL, startTestService, type TestService } from '../helpers/service';

const body = SUPPORT_REPLY_CALL;

describe('shutdown with a wait period', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ shutdown: { waitPeriodSeconds: 1, gracePeriodSeconds: 2 } });
  });

  it('answers /ready 503 and keeps deciding, each reply closing its connection, until the wait is over', async () => {
    const token = svc.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
    const before = await svc.get('/ready');
    expect(before.status).toBe(200); // precondition: ready while running
    expect(before.headers.get('connection')).toBe('keep-alive');

    const started = Date.now();
    const closed = svc.close();
    const ready = await svc.get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, stopping: true, checks: { policy: true, store: true } });

    const decided = await svc.post('/v1/decide', body, token);
    expect(decided.status).toBe(200);
    expect(decided.body.allow).toBe(true);
    expect(decided.headers.get('connection')).toBe('close');
    expect(auditRow(svc.db, decided.body.decision_id as string)).toBeDefined();

    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await expect(svc.get('/ready')).rejects.toThrow();
  });
});

describe('modelgate serve and stop signals', () => {
  it('waits out the wait period on SIGTERM, and exits at once on a second signal', async () => {
    const child = await startChildService({
      logLevel: 'info',
      config: { shutdown: { wait_period_seconds: 60 } },
    });
    process.kill(child.pid, 'SIGTERM');
    // Still serving, not ready: the wait period has begun.
    await waitFor(async () => (await child.get('/ready')).status === 503);
    process.kill(child.pid, 'SIGINT');
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(child.output()).toContain('second signal: exiting now');
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
