/**
 * The DPoP replay cache shared by every replica on PostgreSQL: two real services on one throw-away database. A proof
 * accepted at one replica is refused at the other, an old claim stops counting once its window is over, and a
 * database that cannot take the claim refuses the request (503) rather than accept it unremembered.
 */
import { join } from 'node:path';
import { Client } from 'pg';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { createPgPool } from '../../src/postgres/pg-pool';
import { PgDpopReplayCache } from '../../src/postgres/pg-dpop-replay-cache';
import { migratePg } from '../../src/postgres/pg-migrations';
import { dpopPgMigrations } from '../../src/postgres/dpop-pg-migrations';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { dpopConfirmation, dpopProof } from '../helpers/dpop';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import {
  fetchReply,
  startTestService,
  SUPPORT_REPLY_CALL,
  testIssuerEntry,
  type Reply,
  type TestService,
} from '../helpers/service';
import { generateEcKeyPair } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import type { Config } from '../../src/config/config';

const PUBLIC = 'https://modelgate.test';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
// Short, so that a test can outlive a proof's window: max age + 2 × skew = 3 s.
const MAX_AGE_SECONDS = 3;
const WINDOW_MS = MAX_AGE_SECONDS * 1000;
const silent = pino({ level: 'silent' });

let cluster: PgCluster;
let url: string;
let first: TestService;
let second: TestService;
const client = generateEcKeyPair('P-256');

async function sql<R extends object>(text: string, values: unknown[] = []): Promise<R[]> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query<R>(text, values)).rows;
  } finally {
    await db.end();
  }
}

function replicaConfig(overrides: Partial<Config> = {}): Partial<Config> {
  return {
    database: { url, poolSize: 4 },
    dpop: { publicUrls: [PUBLIC], maxAgeSeconds: MAX_AGE_SECONDS, clockSkewSeconds: 0 },
    // Every refusal's own record is asserted: none counted together.
    audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
    ...overrides,
  };
}

function reasonCode(reply: Reply): string | undefined {
  return (reply.body.reasons as { code: string }[] | undefined)?.[0]?.code;
}

// One token bound to the client's key, and a proof of it per call: the same proof (or the same jti) may be sent
// to either replica.
const token = () => first.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
const proofFor = (accessToken: string, jti = randomUUID()) =>
  dpopProof({ key: client, htm: 'POST', htu: `${PUBLIC}/v1/decide`, token: accessToken, jti });

function decide(svc: TestService, accessToken: string, proof: string): Promise<Reply> {
  return fetchReply(`${svc.url}/v1/decide`, {
    method: 'POST',
    headers: { authorization: `DPoP ${accessToken}`, dpop: proof, 'content-type': 'application/json' },
    body: JSON.stringify(SUPPORT_REPLY_CALL),
  });
}

async function auditedRejection(decisionId: string): Promise<{ status: number; reason: string } | undefined> {
  const rows = await sql<{ status: number; reason: string }>(
    `SELECT r.status, x.reason FROM audit_records r JOIN audit_reasons x ON x.seq = r.seq
      WHERE r.decision_id = $1 AND r.outcome = 'rejected'`,
    [decisionId],
  );
  return rows[0];
}

describeWithPostgres('the DPoP replay cache shared by replicas on PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
    first = await startTestService(replicaConfig());
    // The second replica trusts the first one's issuer key, so that one token works at both.
    second = await startTestService(
      replicaConfig({ issuers: [testIssuerEntry({ public_key_file: join(first.dir, 'rsa.pem') })] }),
    );
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await first?.close();
    cluster?.destroy();
  });

  it('refuses at the second replica a proof the first one accepted: 401 dpop_proof_replayed, recorded', async () => {
    const accessToken = token();
    const proof = proofFor(accessToken);
    const accepted = await decide(first, accessToken, proof);
    expect(accepted.status).toBe(200);
    // The precondition: the second replica takes this token and a proof of its own.
    expect((await decide(second, accessToken, proofFor(accessToken))).status).toBe(200);

    const replayed = await decide(second, accessToken, proof);
    expect(replayed.status).toBe(401);
    expect(reasonCode(replayed)).toBe('dpop_proof_replayed');
    expect(replayed.headers.get('www-authenticate')).toContain('DPoP');
    expect(await auditedRejection(replayed.body.decision_id as string)).toEqual({
      status: 401,
      reason: 'dpop_proof_replayed',
    });
  });

  it("lets a proof's jti be claimed again once its window is over, before any sweep removed the old claim", async () => {
    const accessToken = token();
    const jti = randomUUID();
    expect((await decide(first, accessToken, proofFor(accessToken, jti))).status).toBe(200);
    // Inside the window the jti is spent at every replica, whatever the proof's iat.
    expect(reasonCode(await decide(second, accessToken, proofFor(accessToken, jti)))).toBe(
      'dpop_proof_replayed',
    );
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 500));
    const [counted] = await sql<{ expired: number }>(
      'SELECT count(*)::int AS expired FROM dpop_proofs WHERE until <= now()',
    );
    expect(counted!.expired).toBeGreaterThan(0); // the expired claims are still there: only `until` frees them
    expect((await decide(second, accessToken, proofFor(accessToken, jti))).status).toBe(200);
  });

  it('refuses with 503 dpop_replay_cache_unavailable, recorded, when the claim fails, and takes the proof after', async () => {
    const accessToken = token();
    const proof = proofFor(accessToken);
    await sql('ALTER TABLE dpop_proofs RENAME TO dpop_proofs_away');
    let refused: Reply;
    try {
      refused = await decide(first, accessToken, proof);
    } finally {
      await sql('ALTER TABLE dpop_proofs_away RENAME TO dpop_proofs');
    }
    expect(refused.status).toBe(503);
    expect(refused.body.allow).toBe(false);
    expect(reasonCode(refused)).toBe('dpop_replay_cache_unavailable');
    expect(refused.headers.get('www-authenticate')).toBeNull();
    expect(await auditedRejection(refused.body.decision_id as string)).toEqual({
      status: 503,
      reason: 'dpop_replay_cache_unavailable',
    });
    // Never accepted, so not spent: the same proof goes through once the claim can be made.
    expect((await decide(first, accessToken, proof)).status).toBe(200);
    expect(reasonCode(await decide(second, accessToken, proof))).toBe('dpop_proof_replayed');
  });

  it('refuses with 503 while PostgreSQL is down, and takes its jti once it is back', async () => {
    const accessToken = token();
    const jti = randomUUID();
    cluster.stop();
    let down: Reply;
    try {
      down = await decide(second, accessToken, proofFor(accessToken, jti));
    } finally {
      cluster.start();
    }
    // Nothing can be recorded either: the record's failure is what the reply says.
    expect({ status: down.status, allow: down.body.allow }).toEqual({ status: 503, allow: false });
    expect(reasonCode(down)).toBe('audit_unavailable');
    await waitFor('the second replica ready again', async () => (await second.get('/ready')).status === 200);
    // A new proof of the same jti: the restart and /ready can outlast the first proof's max age.
    expect((await decide(second, accessToken, proofFor(accessToken, jti))).status).toBe(200);
  }, 30_000);
});

describeWithPostgres('PgDpopReplayCache on PostgreSQL', () => {
  let expiring: PgCluster;
  beforeAll(async () => {
    expiring = await startPgCluster();
  }, 60_000);
  afterAll(() => expiring?.destroy());

  it('deletes expired claims in bounded batches and keeps live ones', async () => {
    const pool = createPgPool({ url: await expiring.createDatabase(), logger: silent });
    try {
      await migratePg(pool, [dpopPgMigrations], silent);
      const cache = new PgDpopReplayCache(pool, { batchRows: 3 });
      for (let i = 0; i < 7; i++) expect(await cache.claim(`old-${i}`, 1)).toBe(true);
      expect(await cache.claim('live', 60_000)).toBe(true);
      expect(await cache.claim('live', 60_000)).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await cache.expire()).toBe(7);
      const { rows } = await pool.query<{ key: string }>('SELECT key FROM dpop_proofs');
      expect(rows.map((row) => row.key)).toEqual(['live']);
      expect(await cache.claim('live', 60_000)).toBe(false);
      expect(await cache.claim('old-0', 60_000)).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
