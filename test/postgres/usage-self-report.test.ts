/**
 * Usage reports on PostgreSQL follow the same rule as on SQLite (docs/audit.md, "Usage reports"): a caller's
 * report about its own decision may only raise the reservation; only a trusted reporter may lower it. Else a
 * stolen workload token frees its whole daily budget by reporting zero tokens after every allowed call.
 */
import { startChildService, type ChildService } from '../helpers/child-service';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import {
  bundleWithSummarizerLimits,
  REPORTER_CLAIMS,
  SUMMARIZER_CLAIMS,
  summary,
} from '../usage/usage-helpers';

const LIMITS = { max_tokens_per_call: 1000, daily_tokens: 10_000, requests_per_minute: 1000 };

let cluster: PgCluster;
let svc: ChildService;

describeWithPostgres('usage reports on PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    const url = await cluster.createDatabase();
    svc = await startChildService({
      config: { database: { url }, bundle: bundleWithSummarizerLimits(LIMITS) },
    });
  }, 120_000);
  afterAll(async () => {
    await svc?.stop();
    cluster?.destroy();
  });

  const dayTokens = async () =>
    ((await svc.get('/v1/usage', svc.token(SUMMARIZER_CLAIMS))).body.usage as { tokens_last_day: number })
      .tokens_last_day;
  const allow = async () => {
    const res = await svc.post('/v1/decide', summary({ max_tokens: 1000 }), svc.token(SUMMARIZER_CLAIMS));
    expect(res.body.allow).toBe(true);
    return res.body.decision_id as string;
  };
  const report = (id: string, body: unknown, claims: Record<string, unknown>) =>
    svc.post(`/v1/decisions/${id}/usage`, body, svc.token(claims));

  it('does not let a self-report of zero tokens free the budget it reserved', async () => {
    const before = await dayTokens();
    const id = await allow();
    expect(await dayTokens()).toBe(before + 1000);
    expect((await report(id, { input_tokens: 0, output_tokens: 0 }, SUMMARIZER_CLAIMS)).status).toBe(201);
    expect(await dayTokens()).toBe(before + 1000);
  });

  it('raises the reservation on a self-report above it', async () => {
    const before = await dayTokens();
    const id = await allow();
    expect((await report(id, { input_tokens: 200, output_tokens: 1300 }, SUMMARIZER_CLAIMS)).status).toBe(
      201,
    );
    expect(await dayTokens()).toBe(before + 1500);
  });

  it('lets a trusted reporter settle the real figure, down too', async () => {
    const before = await dayTokens();
    const id = await allow();
    expect((await report(id, { input_tokens: 40, output_tokens: 60 }, REPORTER_CLAIMS)).status).toBe(201);
    expect(await dayTokens()).toBe(before + 100);
  });
});
