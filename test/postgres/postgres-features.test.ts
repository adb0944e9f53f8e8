/**
 * What a service on PostgreSQL (database.url) does with the features beyond decisions: approvals are
 * shared by replicas (asked through one, granted through another, spent through either, once); the
 * lineage works across replicas; the features that scan the SQLite audit file answer 501 not_available_on_postgres, recorded like any
 * call; decision-log shipping is refused at start-up, naming the setting.
 */
import { Client } from 'pg';
import { ASSISTANT, codes, pipelineChange, tokens } from '../approvals/approval-fixtures';
import { runCli } from '../helpers/cli';
import { startChildService, type ChildService } from '../helpers/child-service';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { generateRsaKeyPair } from '../helpers/tokens';
import { LINEAGE_PARENT } from '../../src/postgres/pg-lineage-source';
import { seededRandom } from '../helpers/seeded-random';
import { CHAIN_LOCK } from '../../src/postgres/pg-chain';

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

  it('refuses an approver comment holding a NUL character with 400, and the approval stays pending', async () => {
    // PostgreSQL's text cannot hold U+0000: the verdict's UPDATE failed, and the approver got a 500.
    const [a] = replicas;
    const t = tokens(a!);
    const asked = await a!.post(
      '/v1/decide',
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'comment with a NUL' }] } }),
      t.requester,
    );
    const id = (asked.body.approval as { id: string }).id;
    const refused = await a!.post(`/v1/approvals/${id}/approve`, { comment: 'ok\u0000' }, t.approver);
    expect(refused.status).toBe(400);
    expect(codes(refused.body)).toEqual(['body_invalid']);
    expect(await sql('SELECT status FROM approvals WHERE id = $1', [id])).toEqual([{ status: 'pending' }]);
    // A comment over several lines is a comment.
    const multiline = { comment: 'reviewed:\n- timeout only\r\n- PR 4711\tok' };
    expect((await a!.post(`/v1/approvals/${id}/approve`, multiline, t.approver)).status).toBe(200);
  });

  it('opens no approval when its requested record cannot be written', async () => {
    const [a] = replicas;
    const t = tokens(a!);
    const pending = () =>
      sql<{ n: number }>('SELECT count(*)::int AS n FROM approvals WHERE status = $1', ['pending']);
    const pendingBefore = (await pending())[0]!.n;
    // The record fails as a full disk fails it (SQLSTATE 53100); every other record goes in.
    await sql(`CREATE FUNCTION fail_approval_record() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'no space left' USING ERRCODE = '53100'; END $$`);
    await sql(`CREATE TRIGGER fail_requested BEFORE INSERT ON audit_records FOR EACH ROW
                 WHEN (NEW.path LIKE '/v1/approvals/%/requested') EXECUTE FUNCTION fail_approval_record()`);
    try {
      const body = pipelineChange({
        payload: { messages: [{ role: 'user', content: 'pg: drop the canary' }] },
      });
      const refused = await a!.post('/v1/decide', body, t.requester);
      expect(refused.status).toBe(503);
      expect(codes(refused.body)).toEqual(['audit_unavailable']);
      expect(await pending()).toEqual([{ n: pendingBefore }]);
    } finally {
      await sql('DROP TRIGGER fail_requested ON audit_records');
      await sql('DROP FUNCTION fail_approval_record()');
    }
  });

  it('serves lineage across replicas: a parent decided on one, its children on the other', async () => {
    const [a, b] = replicas as [ChildService, ChildService];
    const agent = {
      sub: 'spiffe://corp/agents/triage-workflow',
      scope: 'invoke:agents',
      act: { sub: 'agent:triage' },
    };
    const triage = (operation: string, tool: string, context: Record<string, unknown> = {}) => ({
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation,
        purpose: 'ticket-triage',
        tools: [{ name: tool }],
      },
      context,
    });
    const prompt = await a.post('/v1/decide', triage('chat', 'tickets.read'), a.token(agent));
    expect(prompt.body.allow).toBe(true);
    const promptId = prompt.body.decision_id as string;
    const read = await b.post(
      '/v1/decide',
      triage('tool_call', 'tickets.read', { parent_decision_id: promptId }),
      b.token(agent),
    );
    expect(read.body.allow).toBe(true); // replica b found the parent replica a recorded
    const readId = read.body.decision_id as string;
    const create = await a.post(
      '/v1/decide',
      triage('tool_call', 'tickets.create', { parent_decision_id: readId }),
      a.token(agent),
    );
    expect(create.body.allow).toBe(true);

    const auditor = b.token({ sub: 'user:carol@corp', scope: 'modelgate:audit' });
    const tree = await b.get(`/v1/decisions/${readId}/lineage`, auditor);
    expect(tree.status).toBe(200);
    expect(tree.body).toMatchObject({
      ancestors: [{ decision_id: promptId, depth: 0 }],
      decision: {
        decision_id: readId,
        depth: 1,
        children: [{ decision_id: create.body.decision_id, depth: 2 }],
      },
      truncated: false,
    });
    const cli = await runCli(['audit', 'lineage', readId, '--db', url, '--json']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(
      Object.fromEntries(Object.entries(tree.body).filter(([key]) => key !== 'decision_id')),
    );
    // The child lookup can use the expression index of audit migration 3 (sequential scans off: on a
    // table this small the planner would rightly prefer one).
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT record FROM audit_records WHERE ${LINEAGE_PARENT} = $1 ORDER BY ts_ms, seq`,
        [readId],
      );
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('audit_records_lineage_parent');
    } finally {
      await client.end();
    }
  });

  // jsonb cannot hold U+0000: the lineage index's cast refused a record whose context held one, and with it
  // every decision of the same group commit (audit_unavailable for callers who sent nothing odd). Found by
  // schemathesis against a service on PostgreSQL.
  it('records a decision whose context holds a NUL character, beside the others of its group commit', async () => {
    const [a] = replicas as [ChildService];
    const token = a.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
    const call = (context: Record<string, unknown>) => ({
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation: 'chat',
        provider: 'bedrock',
        purpose: 'support-reply',
      },
      context: { environment: 'prod', ...context },
    });
    const replies = await Promise.all([
      a.post('/v1/decide', call({ note: 'a\u0000b' }), token),
      ...Array.from({ length: 8 }, (_, i) => a.post('/v1/decide', call({ note: `plain ${i}` }), token)),
    ]);
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    const [nul] = await sql<{ record: string }>('SELECT record FROM audit_records WHERE decision_id = $1', [
      replies[0]!.body.decision_id,
    ]);
    expect(JSON.parse(nul!.record).input.context.note).toBe('a\u0000b'); // kept exactly, hash and all
    const auditor = a.token({ sub: 'user:carol@corp', scope: 'modelgate:audit' });
    expect((await a.get(`/v1/audit/verify`, auditor)).body).toMatchObject({ ok: true });
    // And no query can ask for one: a control character in a parameter is a 400 on every backend.
    const usage = await a.get('/v1/usage?subject=a%00b', auditor);
    expect(usage.status).toBe(400);
  });

  // A btree entry holds at most 2,704 bytes. The record keeps 2,048 characters of a string column, which in
  // a script of three-byte characters is 6 KiB: PostgreSQL refused the index entry, and with it every
  // decision of the same group commit, and the replica reported itself unready. A model name is the caller's
  // to choose on the Data API, so any token holder could do it.
  it('records decisions whose subject or model is 2,048 characters of a three-byte script, beside the others', async () => {
    const [a] = replicas as [ChildService];
    const wide = (seed: number, length = 2048) => {
      const random = seededRandom(seed);
      return Array.from({ length }, () => String.fromCodePoint(0x4e00 + Math.floor(random() * 20_000))).join(
        '',
      );
    };
    // 1,000 characters (3,000 bytes) for the subject, so that a query for it fits in a request line.
    const longSubject = `user:${wide(1, 1000)}`;
    const token = a.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
    const decide = {
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation: 'chat',
        provider: 'bedrock',
        purpose: 'support-reply',
      },
      context: { environment: 'prod' },
    };
    const replies = await Promise.all([
      a.post('/v1/data/modelgate/decision', { input: { invocation: { model: wide(2) } } }, token),
      a.post('/v1/decide', decide, a.token({ sub: longSubject, scope: 'invoke:support' })),
      a.post('/v1/data/modelgate/decision', { input: { invocation: { model: 'a\u0000b' } } }, token),
      a.post('/v1/data/modelgate/decision', { input: { lineage: { parent_id: wide(3) } } }, token),
      ...Array.from({ length: 8 }, () => a.post('/v1/decide', decide, token)),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, ...Array(8).fill(200)]);
    expect((await a.get('/ready')).status).toBe(200);
    const auditor = a.token({ sub: 'user:carol@corp', scope: 'modelgate:audit' });
    const bySubject = await a.get(`/v1/decisions?subject=${encodeURIComponent(longSubject)}`, auditor);
    expect(bySubject.status).toBe(200);
    expect((bySubject.body.records as { decision_id: string }[]).map((r) => r.decision_id)).toEqual([
      replies[1]!.body.decision_id,
    ]);
    expect((await a.get(`/v1/audit/verify`, auditor)).body).toMatchObject({ ok: true });
  });

  // Any record the database refuses (here a DBA's constraint) failed its whole group commit: every caller of
  // the batch was answered 503, and the replica reported itself unready as if the database were gone.
  it('fails only the record PostgreSQL refuses, not the others of its group commit, and stays ready', async () => {
    const [a] = replicas as [ChildService];
    const token = a.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
    const decide = (purpose: string) =>
      a.post(
        '/v1/decide',
        {
          invocation: { model: 'anthropic.claude-sonnet', operation: 'chat', provider: 'bedrock', purpose },
          context: { environment: 'prod' },
        },
        token,
      );
    await sql(`CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.purpose = 'refused-by-a-constraint' THEN RAISE EXCEPTION 'marked' USING ERRCODE = '23514'; END IF;
        RETURN NEW;
      END $$`);
    await sql(
      'CREATE TRIGGER refuse_marked BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION refuse_marked()',
    );
    // Holding the chain lock keeps the first decision's commit waiting, so all the others form one batch.
    const lock = new Client({ connectionString: url });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const first = decide('support-reply');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const batch = [
        decide('refused-by-a-constraint'),
        ...Array.from({ length: 7 }, () => decide('support-reply')),
      ];
      await new Promise((resolve) => setTimeout(resolve, 200));
      await lock.query('COMMIT');
      const replies = await Promise.all([first, ...batch]);
      expect(replies.map((r) => r.status)).toEqual([200, 503, ...Array(7).fill(200)]);
      expect(replies[1]!.body.reasons).toEqual([expect.objectContaining({ code: 'audit_unavailable' })]);
      expect((await a.get('/ready')).status).toBe(200);
      const auditor = a.token({ sub: 'user:carol@corp', scope: 'modelgate:audit' });
      for (const reply of [replies[0]!, ...replies.slice(2)]) {
        expect((await a.get(`/v1/decisions/${reply.body.decision_id as string}`, auditor)).status).toBe(200);
      }
      expect((await a.get(`/v1/audit/verify`, auditor)).body).toMatchObject({ ok: true });
    } finally {
      await lock.end();
      await sql('DROP TRIGGER refuse_marked ON audit_records');
      await sql('DROP FUNCTION refuse_marked');
    }
  });

  // The routes that read SQLite returned early from the route list, and /metrics, mounted after them, with
  // them: a replica on PostgreSQL answered 404 to its scraper. Found by schemathesis.
  it('serves /metrics on the service port, as on SQLite', async () => {
    const [a] = replicas as [ChildService];
    const res = await fetch(`${a.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('modelgate_decisions_total');
  });

  it.each([
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

  it('refuses to start with decision-log shipping on, naming decision_logs', async () => {
    await expect(
      startChildService({
        config: { database: { url }, decision_logs: { file: { path: 'decisions.jsonl' } } },
        logLevel: 'error',
      }),
    ).rejects.toThrow(/decision_logs: decision-log shipping reads the SQLite audit log/);
  });
});
