import { Client } from 'pg';
import { startChildService, type ChildService } from '../helpers/child-service';
import { runCli } from '../helpers/cli';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { generateRsaKeyPair } from '../helpers/tokens';
import { codegenAllowed, strangerDenied, supportAllowed, type Call } from '../audit-e2e/e2e-fixtures';

// Three real `modelgate serve` processes on one throw-away PostgreSQL: one chain for all of them,
// no acknowledged decision lost when one is SIGKILLed or when the database goes away and comes back.

let cluster: PgCluster;
let url: string;
const replicas: ChildService[] = [];
const calls: Call[] = [codegenAllowed, supportAllowed, strangerDenied];

async function storedIds(ids: string[]): Promise<Set<string>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ decision_id: string }>(
      'SELECT decision_id FROM audit_records WHERE decision_id = ANY($1)',
      [ids],
    );
    return new Set(rows.map((row) => row.decision_id));
  } finally {
    await client.end();
  }
}

async function decide(svc: ChildService, i: number) {
  const call = calls[i % calls.length]!;
  return svc.post('/v1/decide', call.body, svc.token(call.claims));
}

/** Clients post back to back to one replica each until `stop()` says so or a request fails. */
function load(targets: ChildService[], perTarget: number) {
  const acknowledged: string[] = [];
  const failures: { status: number; body: unknown }[] = [];
  let running = true;
  let inFlight = 0;
  const clients = targets.flatMap((svc) =>
    Array.from({ length: perTarget }, async (_, c) => {
      for (let i = c; running; i++) {
        inFlight += 1;
        const res = await decide(svc, i).catch(() => null);
        inFlight -= 1;
        if (!res) return; // the connection went away: this client is done
        if (res.status === 200) acknowledged.push(res.body.decision_id as string);
        else failures.push({ status: res.status, body: res.body });
      }
    }),
  );
  return {
    acknowledged,
    failures,
    inFlight: () => inFlight,
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithPostgres('three modelgate replicas on one PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
    const rsa = generateRsaKeyPair();
    // Started together: the migrations' advisory lock must keep them from racing.
    replicas.push(
      ...(await Promise.all(
        [0, 1, 2].map(() => startChildService({ rsa, config: { database: { url } }, logLevel: 'info' })),
      )),
    );
  }, 120_000);
  afterAll(async () => {
    for (const svc of replicas) await svc.stop();
    cluster?.destroy();
  });

  it('appends every replica’s decisions to one chain that `modelgate audit verify` checks', async () => {
    const replies = await Promise.all(Array.from({ length: 90 }, (_, i) => decide(replicas[i % 3]!, i)));
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    const ids = replies.map((r) => r.body.decision_id as string);
    expect((await storedIds(ids)).size).toBe(90);
    const verify = await runCli(['audit', 'verify', '--db', url, '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, records: 90 });
  });

  it('loses no acknowledged decision when one replica is SIGKILLed under load', async () => {
    const victim = replicas[2]!;
    const run = load(replicas, 3);
    await sleep(1500);
    const ackedBefore = run.acknowledged.length;
    expect(run.inFlight()).toBeGreaterThan(0); // requests are outstanding at the moment of the kill
    process.kill(victim.pid, 'SIGKILL');
    await victim.exited;
    await sleep(500);
    await run.stop();
    expect(ackedBefore).toBeGreaterThan(0);
    expect(run.failures).toEqual([]);
    const stored = await storedIds(run.acknowledged);
    expect(run.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    const verify = await runCli(['audit', 'verify', '--db', url, '--json']);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    replicas.pop(); // stopped for good: afterAll must not wait for it
  });

  it('fails closed while the database is down and recovers without a restart', async () => {
    const [a, b] = replicas as [ChildService, ChildService];
    expect((await decide(a, 0)).status).toBe(200);
    const run = load([a, b], 2);
    await sleep(500);
    cluster.stop();
    const down = await decide(a, 1);
    expect({ status: down.status, allow: down.body.allow }).toEqual({ status: 503, allow: false });
    expect(JSON.stringify(down.body)).toContain('audit_unavailable');
    await sleep(1500); // the probe runs once a second
    expect((await a.get('/ready')).status).toBe(503);
    cluster.start();
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      await sleep(200);
      ready = (await a.get('/ready')).status;
    }
    expect(ready).toBe(200);
    await sleep(500);
    await run.stop();
    expect((await decide(a, 2)).status).toBe(200);
    expect((await decide(b, 3)).status).toBe(200);
    expect(run.failures.every((f) => f.status === 503)).toBe(true);
    const stored = await storedIds(run.acknowledged);
    expect(run.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(a.output()).toContain('audit database unreachable');
    expect(a.output()).toContain('audit database reachable again');
    const verify = await runCli(['audit', 'verify', '--db', url, '--json']);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  });
});
