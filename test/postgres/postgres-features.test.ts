/**
 * What a service on PostgreSQL (database.url) does with the features beyond decisions: approvals are
 * shared by replicas (asked through one, granted through another, spent through either, once); the
 * features that read the SQLite audit file answer 501 not_available_on_postgres, recorded like any
 * call; decision-log shipping is refused at start-up, naming the setting.
 */
import { Client } from 'pg';
import { ASSISTANT, codes, pipelineChange, tokens } from '../approvals/approval-fixtures';
import { runCli } from '../helpers/cli';
import { startChildService, type ChildService } from '../helpers/child-service';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { generateRsaKeyPair } from '../helpers/tokens';

let cluster: PgCluster;
let url: string;
const replicas: ChildService[] = [];

async function sql<R extends object>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describeWithPostgres('a service on PostgreSQL: approvals, SQLite-only features', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
    const rsa = generateRsaKeyPair();
    replicas.push(
      ...(await Promise.all([0, 1].map(() => startChildService({ rsa, config: { database: { url } } })))),
    );
  }, 120_000);
  afterAll(async () => {
    for (const svc of replicas) await svc.stop();
    cluster?.destroy();
  });

  it('shares approvals: asked through one replica, granted through the other, spent once through either', async () => {
    const [a, b] = replicas as [ChildService, ChildService];
    const t = tokens(a);
    const asked = await a.post('/v1/decide', pipelineChange(), t.requester);
    expect(asked.status).toBe(200);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const approval = asked.body.approval as { id: string; status: string };
    expect(approval.status).toBe('pending');
    // The same request through the other replica finds the same pending approval.
    const again = await b.post('/v1/decide', pipelineChange(), t.requester);
    expect((again.body.approval as { id: string }).id).toBe(approval.id);

    expect((await b.post(`/v1/approvals/${approval.id}/approve`, {}, t.approver)).status).toBe(200);
    const stored = await sql<{ status: string; requester_subject: string }>(
      'SELECT status, requester_subject FROM approvals WHERE id = $1',
      [approval.id],
    );
    expect(stored).toEqual([{ status: 'approved', requester_subject: ASSISTANT }]);

    // One use (the shipped policy's default): two retries at once, one per replica, one allow.
    const retries = await Promise.all(
      [a, b].map((svc) =>
        svc.post('/v1/decide', { ...pipelineChange(), approval_id: approval.id }, t.requester),
      ),
    );
    expect(retries.map((r) => r.status)).toEqual([200, 200]);
    expect(retries.filter((r) => r.body.allow === true)).toHaveLength(1);
    const events = await sql<{ path: string }>(
      "SELECT path FROM audit_records WHERE path LIKE '/v1/approvals/%' ORDER BY seq",
    );
    expect(events.map((e) => e.path)).toEqual([
      `/v1/approvals/${approval.id}/requested`,
      `/v1/approvals/${approval.id}/approve`,
      `/v1/approvals/${approval.id}/use`,
    ]);
  });

  it.each([
    ['GET', '/v1/decisions/00000000-0000-7000-8000-000000000000/lineage', 'lineage'],
    ['GET', '/v1/reports/privileges', 'privileges report'],
    ['POST', '/v1/replay', 'replay'],
  ])(
    '%s %s answers 501 not_available_on_postgres, recorded in the shared log',
    async (method, route, feature) => {
      const svc = replicas[0]!;
      const auditor = svc.token({ sub: 'user:carol@corp', scope: 'modelgate:audit' });
      const reply = method === 'GET' ? await svc.get(route, auditor) : await svc.post(route, {}, auditor);
      expect(reply.status).toBe(501);
      expect(codes(reply.body)).toEqual(['not_available_on_postgres']);
      const message = (reply.body.reasons as { message: string }[])[0]!.message;
      expect(message).toContain(feature);
      expect(message).toContain('database.url');
      const recorded = await sql<{ status: number }>(
        'SELECT status FROM audit_records WHERE decision_id = $1',
        [reply.body.decision_id],
      );
      expect(recorded).toEqual([{ status: 501 }]);
      // Without the auditor scope it is the usual 403, as on SQLite.
      const plain = svc.token({ sub: 'user:bob@corp', scope: 'invoke:assist' });
      expect((method === 'GET' ? await svc.get(route, plain) : await svc.post(route, {}, plain)).status).toBe(
        403,
      );
    },
  );

  it('refuses `modelgate audit lineage` on the PostgreSQL log, saying why', async () => {
    const out = await runCli(['audit', 'lineage', '00000000-0000-7000-8000-000000000000', '--db', url]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('not available on a PostgreSQL audit log (database.url)');
  });

  it('refuses to start with decision-log shipping on, naming decision_logs', async () => {
    await expect(
      startChildService({
        config: { database: { url }, decision_logs: { file: { path: 'decisions.jsonl' } } },
        logLevel: 'error',
      }),
    ).rejects.toThrow(/decision_logs: decision-log shipping reads the SQLite audit log/);
  });
});
