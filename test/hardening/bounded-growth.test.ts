import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { auditCount, auditRow, requestsRecorded } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { generateRsaKeyPair, signToken, standardClaims } from '../helpers/tokens';

// Issue #13, item 3: an anonymous client added a row per request, and a denied caller could store
// about 1 MB per request through context. Records now keep a few KiB of context and claims, and
// anonymous rejections beyond a few per source, reason and minute become one counted record.

const invocation = { model: 'anthropic.claude-haiku', operation: 'chat' };

function recordBytes(db: string, decisionId: string): number {
  const file = new Database(db, { readonly: true });
  try {
    return (
      file.prepare('SELECT length(record) AS n FROM audit_records WHERE decision_id = ?').get(decisionId) as {
        n: number;
      }
    ).n;
  } finally {
    file.close();
  }
}

describe('with the defaults', () => {
  let svc: TestService;
  let closed = false;
  beforeAll(async () => {
    svc = await startTestService({ audit: { synchronous: 'FULL' } });
  });
  afterAll(async () => {
    if (!closed) await svc?.close();
  });

  test('a large context is stored as its length and hash, the record stays a few KiB', async () => {
    const context = { blob: 'x'.repeat(900_000) };
    const reply = await svc.post('/v1/decide', { invocation, context }, svc.token());
    expect(reply.status).toBe(200);
    const id = reply.body.decision_id as string;
    const record = auditRow(svc.db, id)!.record;
    expect(record.truncated).toMatchObject({ 'input.context': { bytes: expect.any(Number) } });
    expect((record.truncated as Record<string, { bytes: number }>)['input.context']!.bytes).toBeGreaterThan(
      900_000,
    );
    expect(recordBytes(svc.db, id)).toBeLessThan(8 * 1024);
  });

  test('large claims are hashed first, and stored as their length and hash only when still over the limit', async () => {
    const groups = Array.from({ length: 400 }, (_, i) => `group-${i}-${'g'.repeat(10)}`);
    const manyGroups = await svc.post('/v1/decide', { invocation }, svc.token({ groups }));
    expect(manyGroups.status).toBe(200);
    const hashed = auditRow(svc.db, manyGroups.body.decision_id as string)!.record;
    // The groups are not a recorded claim: one hash, so the claims fit and the recorded ones stay readable.
    const claims = (hashed.input as { subject: { claims: Record<string, unknown> } }).subject.claims;
    expect(claims.groups).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(claims.sub).toBeDefined();
    expect(hashed.truncated ?? {}).not.toHaveProperty(['input.subject.claims']);

    const bigScope = await svc.post(
      '/v1/decide',
      { invocation },
      svc.token({ scope: `${'x'.repeat(5000)} invoke` }),
    );
    const truncated = auditRow(svc.db, bigScope.body.decision_id as string)!.record;
    expect(truncated.truncated).toHaveProperty(['input.subject.claims']);
  });

  test('anonymous rejections beyond 10 a minute from one source become one counted record', async () => {
    const before = auditCount(svc.db);
    const replies = [];
    for (let i = 0; i < 60; i++) replies.push(await svc.post('/v1/decide', { invocation }, null));
    expect(replies.every((r) => r.status === 401)).toBe(true);
    // Within one minute: 10 recorded one by one, the other 50 share one decision id (two if the minute turned).
    const ids = new Set(replies.map((r) => r.body.decision_id));
    expect(ids.size).toBeLessThanOrEqual(22);
    expect(auditCount(svc.db) - before).toBeLessThanOrEqual(20);
    closed = true;
    await svc.close();
    // close() writes the counted records: every one of the 60 is accounted for.
    expect(requestsRecorded(svc.db, '/v1/decide', 401)).toBe(60);
  });
});

test('/ready warns when the disk has less free space than configured', async () => {
  const svc = await startTestService({ audit: { synchronous: 'FULL', diskWarnFreeMb: 16 * 1024 * 1024 } });
  try {
    const ready = await svc.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.disk).toMatchObject({ ok: false, warn_below_bytes: 16 * 1024 * 1024 * 1048576 });
    expect((ready.body.warnings as string[])[0]).toContain('low disk space for the audit log');
    expect(statSync(svc.db).size).toBeGreaterThan(0);
  } finally {
    await svc.close();
  }
});

test("tokens refused while their issuer's JWKS URL is down (503) are counted like other anonymous refusals", async () => {
  // A closed port: the key set can never be fetched, so every token claiming this issuer is keys_unavailable.
  const down = 'https://idp.down.test';
  const svc = await startTestService({
    issuers: [
      { issuer: down, audiences: ['modelgate'], algorithms: ['RS256'], jwks_url: 'http://127.0.0.1:9/jwks' },
    ],
  });
  const forged = signToken({
    header: { alg: 'RS256', kid: 'k1' },
    claims: standardClaims({ issuer: down, audience: 'modelgate' }),
    key: generateRsaKeyPair().privateKey,
  });
  const before = auditCount(svc.db);
  const replies = [];
  try {
    for (let i = 0; i < 40; i++) replies.push(await svc.post('/v1/decide', { invocation }, forged));
  } finally {
    await svc.close();
  }
  expect(replies.every((r) => r.status === 503)).toBe(true);
  expect(replies[0]!.body.reasons).toEqual([expect.objectContaining({ code: 'keys_unavailable' })]);
  // close() wrote the counted records: 10 a minute one by one, the rest in one (two if the minute turned).
  expect(auditCount(svc.db) - before).toBeLessThanOrEqual(22);
  expect(requestsRecorded(svc.db, '/v1/decide', 503)).toBe(40);
});
