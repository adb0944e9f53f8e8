/**
 * The audit log's file is deleted or replaced while the service runs (a cleanup job, a mistaken `rm`, a restore
 * copied over it). SQLite keeps writing to the open, unlinked file, so without a check every later decision would be
 * answered as recorded while its record vanishes with the process. The service must fail closed instead: no reply
 * that says "recorded" for a record no file holds, and /ready failing so that the replica is taken out and restarted.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { startTestService, type TestService } from '../helpers/service';
import { supportAllowed } from './e2e-fixtures';

const codes = (body: Record<string, unknown>) => (body.reasons as { code: string }[]).map((r) => r.code);

describe.each([
  ['deleted', (db: string) => rmSync(db)],
  [
    'replaced by another file',
    (db: string) => {
      writeFileSync(`${db}.new`, '');
      renameSync(`${db}.new`, db);
    },
  ],
])('the audit database file is %s while serving', (_what, remove) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.close();
    if (svc) rmSync(svc.dir, { recursive: true, force: true });
  });

  it('answers 503 audit_unavailable, and /ready and modelgate_audit_up say the log is down', async () => {
    const before = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
    expect([before.status, before.body.allow]).toEqual([200, true]);
    expect((await svc.get('/ready')).status).toBe(200);

    remove(svc.db);

    const after = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
    expect([after.status, after.body.allow]).toEqual([503, false]);
    expect(codes(after.body)).toEqual(['audit_unavailable']);
    const ready = await svc.get('/ready');
    expect([ready.status, (ready.body.checks as Record<string, boolean>).store]).toEqual([503, false]);
    const metrics = await fetch(`${svc.url}/metrics`).then((res) => res.text());
    expect(metrics).toMatch(/^modelgate_audit_up 0$/m);
  });
});
