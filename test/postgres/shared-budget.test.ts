import { Client } from 'pg';
import { startChildService, type ChildService } from '../helpers/child-service';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { generateRsaKeyPair } from '../helpers/tokens';
import {
  bundleWithSummarizerLimits,
  burst,
  codes,
  REPORTER_CLAIMS,
  SUMMARIZER,
  SUMMARIZER_CLAIMS,
  summary,
} from '../usage/usage-helpers';

// A budget that fits exactly 10 calls of 1000 tokens; the rate limit is far out of the way.
const LIMITS = { max_tokens_per_call: 1000, daily_tokens: 10_000, requests_per_minute: 1000 };
const PER_REPLICA = 200;

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

describeWithPostgres('shared usage across replicas', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.destroy());

  describe('one budget across three replicas on one PostgreSQL', () => {
    beforeAll(async () => {
      url = await cluster.createDatabase();
      const rsa = generateRsaKeyPair();
      const bundle = bundleWithSummarizerLimits(LIMITS);
      replicas.push(
        ...(await Promise.all(
          [0, 1, 2].map(() => startChildService({ rsa, config: { database: { url }, bundle } })),
        )),
      );
    }, 120_000);
    afterAll(async () => {
      for (const svc of replicas) await svc.stop();
    });

    it('grants exactly the 10 calls that fit when 600 ask three replicas at once', async () => {
      const usage = await replicas[0]!.get('/v1/usage', replicas[0]!.token(SUMMARIZER_CLAIMS));
      expect(usage.body).toMatchObject({ limits: LIMITS, usage: { tokens_last_day: 0 } });

      const bursts = await Promise.all(
        replicas.map((svc) =>
          burst(
            svc.url,
            '/v1/decide',
            summary({ max_tokens: 1000 }),
            svc.token(SUMMARIZER_CLAIMS),
            PER_REPLICA,
          ),
        ),
      );
      const replies = bursts.flatMap((b) => b.replies);
      expect(replies).toHaveLength(600);
      expect(replies.filter((r) => r.status !== 200)).toEqual([]);
      const allowed = replies.filter((r) => r.body.allow === true);
      expect(allowed).toHaveLength(10);
      const denied = replies.filter((r) => r.body.allow === false);
      expect(denied.every((r) => codes(r.body).join() === 'budget_exhausted')).toBe(true);
      // The budget really was shared: every replica refused calls as budget_exhausted, so each saw the
      // grants of the others (a replica that granted none itself refused on the others' reservations
      // alone). One replica may well have granted all 10: it serves its queued decisions of a subject
      // under one hold of the subject's lock (PgUsageTracker's group commit).
      for (const b of bursts) {
        expect(b.replies.some((r) => codes(r.body).join() === 'budget_exhausted')).toBe(true);
      }

      const recorded = await sql<{ outcome: string; n: number }>(
        `SELECT outcome, count(*)::int AS n FROM audit_records WHERE subject = $1 AND path = '/v1/decide'
       GROUP BY outcome ORDER BY outcome`,
        [SUMMARIZER],
      );
      expect(recorded).toEqual([
        { outcome: 'allowed', n: 10 },
        { outcome: 'denied', n: 590 },
      ]);
      // Every replica now reads the same usage from the shared database.
      for (const svc of replicas) {
        const seen = await svc.get('/v1/usage', svc.token(SUMMARIZER_CLAIMS));
        expect(seen.body).toMatchObject({ usage: { requests_last_minute: 10, tokens_last_day: 10_000 } });
      }
    });

    it('settles on one replica a reservation another replica made, freeing budget for a third', async () => {
      const [a, b, c] = replicas as [ChildService, ChildService, ChildService];
      const refused = await c.post('/v1/decide', summary({ max_tokens: 1000 }), c.token(SUMMARIZER_CLAIMS));
      expect(refused.body).toMatchObject({ allow: false });
      const [granted] = await sql<{ decision_id: string }>(
        `SELECT decision_id FROM audit_records WHERE subject = $1 AND outcome = 'allowed' AND path = '/v1/decide'
       ORDER BY seq LIMIT 1`,
        [SUMMARIZER],
      );
      const report = await b.post(
        `/v1/decisions/${granted!.decision_id}/usage`,
        { input_tokens: 50, output_tokens: 50 },
        // A trusted reporter (the gateway): a self-report could only raise the reservation.
        b.token(REPORTER_CLAIMS),
      );
      expect(report.status).toBe(201);
      const again = await c.post('/v1/decide', summary({ max_tokens: 800 }), c.token(SUMMARIZER_CLAIMS));
      expect(again.body).toMatchObject({ allow: true });
      const seen = await a.get('/v1/usage', a.token(SUMMARIZER_CLAIMS));
      expect(seen.body).toMatchObject({
        usage: { tokens_last_day: 9_000 + 100 + 800 },
        reported_last_day: { reports: 1, tokens: 100 },
      });
    });
  });

  describe('one rate limit across three replicas on one PostgreSQL', () => {
    const RATE = { max_tokens_per_call: 1000, daily_tokens: 1_000_000, requests_per_minute: 5 };
    const rateReplicas: ChildService[] = [];
    beforeAll(async () => {
      const rateUrl = await cluster.createDatabase();
      const rsa = generateRsaKeyPair();
      const bundle = bundleWithSummarizerLimits(RATE);
      rateReplicas.push(
        ...(await Promise.all(
          [0, 1, 2].map(() => startChildService({ rsa, config: { database: { url: rateUrl }, bundle } })),
        )),
      );
    }, 120_000);
    afterAll(async () => {
      for (const svc of rateReplicas) await svc.stop();
    });

    it('grants 5 per minute when 60 ask three replicas at once', async () => {
      const usage = await rateReplicas[0]!.get('/v1/usage', rateReplicas[0]!.token(SUMMARIZER_CLAIMS));
      expect(usage.body).toMatchObject({ limits: RATE, usage: { requests_last_minute: 0 } });
      const bursts = await Promise.all(
        rateReplicas.map((svc) =>
          burst(svc.url, '/v1/decide', summary({ max_tokens: 100 }), svc.token(SUMMARIZER_CLAIMS), 20),
        ),
      );
      const replies = bursts.flatMap((b) => b.replies);
      expect(replies.filter((r) => r.status !== 200)).toEqual([]);
      expect(replies.filter((r) => r.body.allow === true)).toHaveLength(5);
      const denied = replies.filter((r) => r.body.allow === false);
      expect(denied).toHaveLength(55);
      expect(denied.every((r) => codes(r.body).join() === 'rate_limited')).toBe(true);
    });
  });
});
