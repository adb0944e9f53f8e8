import { join } from 'node:path';
import { generateCheckpointKeys, SqliteAuditStore } from '../../src/audit';
import { appendMany, silentLogger, tempDir } from '../audit/audit-fixtures';
import { approvalMigrations } from '../../src/approvals/approval-migrations';
import { SqliteApprovalStore } from '../../src/approvals/sqlite-approval-store';
import { openDatabase } from '../../src/audit/database';
import { usageMigrations } from '../../src/usage/usage-migrations';
import { createPgPool } from '../../src/postgres/pg-pool';
import { PgApprovalStore } from '../../src/postgres/pg-approval-store';
import { PostgresAuditStore } from '../../src/postgres/postgres-audit-store';
import { runCli, stepClockBySeconds } from '../helpers/cli';
import { SUPPORT_REPLY_CALL, startTestService } from '../helpers/service';
import { seededRandom } from '../helpers/seeded-random';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';

let cluster: PgCluster;
const SUPPORT_CLAIMS = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const dir = tempDir();
const keys = generateCheckpointKeys(join(dir, 'keys'));

describeWithPostgres('modelgate audit migrate --to postgres://…', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.destroy());

  it('copies a signed, pruned SQLite log with its chain and checkpoints, and verifies the copy', async () => {
    const file = join(dir, 'source.db');
    const source = SqliteAuditStore.open({
      path: file,
      logger: silentLogger,
      checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 10, everySeconds: 3600 },
    });
    await appendMany(source, 5, () => ({ timestamp: '2020-01-01T00:00:00.000Z' }));
    for (let i = 0; i < 5; i++) await appendMany(source, 7, () => ({ reasons: ['budget_low'] }));
    await source.prune({ before: '2021-01-01T00:00:00Z' });
    await source.close();
    // An approval granted before the move must still be spendable after it.
    const approvalsDb = openDatabase(file, [approvalMigrations]);
    const granted = {
      id: '01a228e0-0000-7000-8000-00000000a001',
      binding: 'b-1',
      status: 'approved' as const,
      createdMs: 1_700_000_000_000,
      expiresMs: 4_000_000_000_000,
      requestDecisionId: 'd-1',
      requester: { subject: 'spiffe://corp/agent', issuer: 'https://idp.test', actor: null },
      invocation: { model: 'm', operation: 'tool_call' as const, tools: ['pipelines.update'] },
      findings: {},
      reasons: ['pipelines'],
      approvers: 'platform-leads',
      ttlSeconds: 3600,
      maxUses: 1,
      usesLeft: 1,
      decidedBy: 'user:alice',
      decidedMs: 1_700_000_001_000,
      comment: null,
      context: { environment: 'prod' },
    };
    await new SqliteApprovalStore(approvalsDb).createPending(granted);
    approvalsDb.close();
    const sourceVerify = await runCli([
      'audit',
      'verify',
      '--db',
      file,
      '--public-key',
      keys.publicKeyFile,
      '--full',
      '--json',
    ]);
    const expected = JSON.parse(sourceVerify.stdout) as { ok: boolean; records: number; head: string };
    expect(expected).toMatchObject({ ok: true, records: 35, anchor: { seq: 5 } });

    const url = await cluster.createDatabase();
    const migrate = await runCli([
      'audit',
      'migrate',
      '--db',
      file,
      '--to',
      url,
      '--public-key',
      keys.publicKeyFile,
    ]);
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain('35 audit_records');
    expect(migrate.stdout).toContain('1 approvals');
    const pool = createPgPool({ url, logger: silentLogger });
    try {
      expect(await new PgApprovalStore(pool).get(granted.id)).toEqual(granted);
    } finally {
      await pool.end();
    }
    expect(migrate.stdout).toContain(`copy verified: 35 records, chain intact, head ${expected.head}`);

    const copy = await runCli([
      'audit',
      'verify',
      '--db',
      url,
      '--public-key',
      keys.publicKeyFile,
      '--full',
      '--json',
    ]);
    expect(JSON.parse(copy.stdout)).toEqual(expected);

    // A second run would fork the chain in the target: refused, nothing written.
    const again = await runCli(['audit', 'migrate', '--db', file, '--to', url]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds 35 audit records/);
  });

  it("carries the last day's budgets over: PostgreSQL's shared reservations hold what the log counts", async () => {
    const file = join(dir, 'budgets.db');
    const source = SqliteAuditStore.open({ path: file, logger: silentLogger });
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    // Older than a day (not counted), three recent allowed decisions, one recent denial (reserves nothing).
    await appendMany(source, 1, () => ({ timestamp: at(25 * 60) }));
    const recent = await appendMany(source, 3, (i) => ({ timestamp: at(30 - i), max_tokens: 100 * (i + 1) }));
    await appendMany(source, 1, () => ({ timestamp: at(5), outcome: 'denied', max_tokens: 999 }));
    await source.close();
    // One of them was reported by a trusted gateway: it counts what was used, not what was reserved.
    const db = openDatabase(file, [usageMigrations]);
    db.prepare(
      `INSERT INTO usage_reports (decision_id, subject, input_tokens, output_tokens, cost_usd, reported_ms, settles_exactly)
       VALUES (?, ?, 10, 5, NULL, ?, 1)`,
    ).run(recent[0]!.decision_id, recent[0]!.subject, now);
    db.close();

    const url = await cluster.createDatabase();
    const migrate = await runCli(['audit', 'migrate', '--db', file, '--to', url]);
    expect(migrate.stderr).toBe('');
    expect(migrate.stdout).toContain('3 usage_reservations');
    const pool = createPgPool({ url, logger: silentLogger });
    try {
      const { rows } = await pool.query<{ decision_id: string; tokens: number }>(
        'SELECT decision_id, tokens FROM usage_reservations ORDER BY at_ms',
      );
      expect(rows.map((r) => [r.decision_id, Number(r.tokens)])).toEqual([
        [recent[0]!.decision_id, 15],
        // max_tokens plus the prompt: the fixture's 120 characters of payload are 30 tokens.
        [recent[1]!.decision_id, 230],
        [recent[2]!.decision_id, 330],
      ]);
    } finally {
      await pool.end();
    }
  });

  // A SQLite log holds any text; PostgreSQL's cannot hold U+0000 nor index 6 KiB: the copy failed whole.
  it('copies records and budgets whose subject or model PostgreSQL cannot index or hold as written', async () => {
    const file = join(dir, 'wide.db');
    const source = SqliteAuditStore.open({ path: file, logger: silentLogger });
    const random = seededRandom(11);
    const wide = `user:${Array.from({ length: 2000 }, () => String.fromCodePoint(0x4e00 + Math.floor(random() * 20_000))).join('')}`;
    const now = Date.now();
    const records = await appendMany(source, 3, (i) => ({
      timestamp: new Date(now - (10 - i) * 60_000).toISOString(),
      subject: i === 1 ? 'user:a\u0000b' : wide,
      model: i === 2 ? 'm\u0000' : 'm',
      max_tokens: 100,
    }));
    await source.close();
    openDatabase(file, [usageMigrations]).close();
    const url = await cluster.createDatabase();
    const migrate = await runCli(['audit', 'migrate', '--db', file, '--to', url]);
    expect(migrate.stderr).toBe('');
    expect(migrate.stdout).toContain('3 audit_records');
    expect(migrate.stdout).toContain('3 usage_reservations');
    const copy = await runCli(['audit', 'verify', '--db', url, '--full', '--json']);
    expect(JSON.parse(copy.stdout)).toMatchObject({ ok: true, records: 3 });
    const pool = createPgPool({ url, logger: silentLogger });
    try {
      const store = new PostgresAuditStore({ pool, logger: silentLogger });
      const found = await store.query({ subject: wide });
      expect(found.records.map((r) => r.decision_id)).toEqual([
        records[2]!.decision_id,
        records[0]!.decision_id,
      ]);
      expect(found.records[0]!.subject).toBe(wide);
      await store.close();
    } finally {
      await pool.end();
    }
  });

  it('copies approvals kept by an earlier version, whose table lacks the columns added since', async () => {
    const file = join(dir, 'earlier-approvals.db');
    const source = SqliteAuditStore.open({ path: file, logger: silentLogger });
    await appendMany(source, 1, () => ({}));
    await source.close();
    // The approvals table as the first version made it: no context, no prior actors.
    const first = { ...approvalMigrations, migrations: approvalMigrations.migrations.slice(0, 1) };
    const db = openDatabase(file, [first]);
    db.prepare(
      `INSERT INTO approvals (id, binding, status, created_ms, expires_ms, request_decision_id, requester_subject,
         requester_issuer, requester_actor, invocation, findings, reasons, approvers, ttl_seconds, max_uses,
         uses_left, decided_by, decided_ms, comment)
       VALUES ('a-1', 'b-1', 'pending', 1, 4000000000000, 'd-1', 'spiffe://corp/agent', 'https://idp.test', NULL,
         '{"model":"m","operation":"tool_call","tools":[]}', '{}', '[]', NULL, 3600, 1, 1, NULL, NULL, NULL)`,
    ).run();
    db.close();

    const url = await cluster.createDatabase();
    const migrate = await runCli(['audit', 'migrate', '--db', file, '--to', url]);
    expect(migrate.stderr).toBe('');
    expect(migrate.stdout).toContain('1 approvals');
    const pool = createPgPool({ url, logger: silentLogger });
    try {
      const copied = await new PgApprovalStore(pool).get('a-1');
      expect(copied).toMatchObject({
        requester: { subject: 'spiffe://corp/agent', issuer: 'https://idp.test', actor: null },
        context: {},
      });
      expect(copied!.requester.prior_actors).toBeUndefined();
    } finally {
      await pool.end();
    }
  });

  it('refuses to copy while a modelgate serves from the log, and copies once it is stopped', async () => {
    const svc = await startTestService();
    const url = await cluster.createDatabase();
    try {
      const res = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, svc.token(SUPPORT_CLAIMS));
      expect(res.status).toBe(200); // the precondition: there is a record to copy
      const refused = await runCli(['audit', 'migrate', '--db', svc.db, '--to', url]);
      expect(refused.code).toBe(1);
      // The service runs in this process, as the CLI here does: a server elsewhere is named by pid and host.
      expect(refused.stderr).toContain(
        `the audit log ${svc.db} is in use by another service in this process`,
      );
      expect(refused.stderr).toContain('Stop modelgate, run the migrate, then start modelgate on PostgreSQL');
      const pool = createPgPool({ url, logger: silentLogger });
      try {
        const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('audit_records') AS t");
        expect(rows[0]!.t).toBeNull(); // refused before anything was written there
      } finally {
        await pool.end();
      }
    } finally {
      await svc.close();
    }
    const migrate = await runCli(['audit', 'migrate', '--db', svc.db, '--to', url]);
    expect(migrate.stderr).toBe('');
    expect(migrate.stdout).toContain('1 audit_records');
    expect(migrate.code).toBe(0);
  });

  it('refuses to copy a log that does not verify', async () => {
    const file = join(dir, 'broken.db');
    const source = SqliteAuditStore.open({ path: file, logger: silentLogger });
    await appendMany(source, 3);
    await source.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file);
    db.prepare("UPDATE audit_records SET record = replace(record, 'bedrock', 'azure') WHERE seq = 2").run();
    db.close();
    const url = await cluster.createDatabase();
    const migrate = await runCli(['audit', 'migrate', '--db', file, '--to', url]);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain('not migrating: the source log is broken');
  });
  // A migrate of a log of millions of records verified, copied and verified again for many minutes without a word.
  it('shows on a terminal how far each stage is: the source verify, the copy, the verify of the copy', async () => {
    const file = join(dir, 'progress.db');
    const source = SqliteAuditStore.open({ path: file, logger: silentLogger });
    await appendMany(source, 1200); // the chain walker reports every 500 records, the copy every 500 rows
    await source.close();
    const url = await cluster.createDatabase();
    const clock = stepClockBySeconds();
    const { code, stdout, stderr } = await runCli(
      ['audit', 'migrate', '--db', file, '--to', url],
      {},
      { isTTY: true },
    ).finally(() => clock.mockRestore());
    expect(code).toBe(0);
    expect(stdout).toContain('1200 audit_records');
    expect(stderr).toMatch(/\r1,000 records checked in the source, [\d,]+\/s/);
    expect(stderr).toMatch(/\r1,000 rows copied to PostgreSQL, [\d,]+\/s/);
    expect(stderr).toMatch(/\r1,000 records checked in the copy, [\d,]+\/s/);
    expect(stderr.indexOf('in the source')).toBeLessThan(stderr.indexOf('copied to'));
    expect(stderr.indexOf('copied to')).toBeLessThan(stderr.indexOf('in the copy'));
  });
});
