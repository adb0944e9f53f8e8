import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AuditLogInUseError } from '../../src/audit/audit-errors';
import { lockAuditLog, lockFileOf } from '../../src/audit/audit-log-lock';
import { SERVE_LOCK } from '../../src/compose';
import { supportAllowed } from '../audit-e2e/e2e-fixtures';
import { serveExpectingRefusal, startChildService, type ChildService } from '../helpers/child-service';
import { runCli } from '../helpers/cli';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { DEFAULT_BUNDLE } from '../helpers/opa';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { startTestService, type TestService } from '../helpers/service';

// Two processes serving one SQLite audit log would each hold their own usage counters, and so each enforce a
// subject's budget and rate limit alone. A second `modelgate serve` on the same file is refused.

const WAY_OUT =
  /Stop the other one, give this one its own audit log \(db, MODELGATE_DB or MODELGATE_DATA_DIR\), or run several replicas on PostgreSQL \(database\.url/;

// Who the lock file says holds the lock, read as a refused process reads it.
function holderOf(db: string): { pid: number; command: string } | undefined {
  const conn = new Database(lockFileOf(db), { readonly: true });
  try {
    return conn.prepare('SELECT pid, command FROM holder').get() as
      { pid: number; command: string } | undefined;
  } finally {
    conn.close();
  }
}

describe('two modelgate processes on one SQLite audit log', () => {
  let first: ChildService;
  let decisionId: string;
  beforeAll(async () => {
    first = await startChildService();
    const res = await first.post('/v1/decide', supportAllowed.body, first.token(supportAllowed.claims));
    expect(res.status).toBe(200);
    decisionId = res.body.decision_id as string;
  });
  afterAll(async () => {
    await first?.stop();
    if (first) rmSync(first.dir, { recursive: true, force: true });
  });

  it('refuses the second at start, naming the file, the first one’s pid and host, and the way out', async () => {
    // The precondition: the first one serves from that file.
    expect(holderOf(first.db)).toEqual({ pid: first.pid, command: 'modelgate serve' });

    const second = await serveExpectingRefusal(first.dir);
    expect(second.served).toBe(false);
    expect(second.exit).toEqual({ code: 2, signal: null });
    expect(second.output).toContain(
      `modelgate: cannot start: the audit log ${first.db} is in use by modelgate serve ` +
        `(pid ${first.pid} on host ${os.hostname()}, since `,
    );
    expect(second.output).toMatch(/each enforce budgets and rate limits alone/);
    expect(second.output).toMatch(WAY_OUT);

    // The first one was not disturbed.
    const res = await first.post('/v1/decide', supportAllowed.body, first.token(supportAllowed.claims));
    expect(res.status).toBe(200);
  });

  it('lets the read-only commands run beside the server', async () => {
    const verify = await runCli(['audit', 'verify', '--db', first.db], {});
    expect(verify.stdout).toMatch(/^\d+ records, chain intact/);
    expect(verify.code).toBe(0);

    const exported = await runCli(
      [
        'audit',
        'export',
        '--db',
        first.db,
        '--from',
        '2000-01-01',
        '--to',
        '2100-01-01',
        '--format',
        'jsonl',
      ],
      {},
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(decisionId);

    const lineage = await runCli(['audit', 'lineage', decisionId, '--db', first.db, '--json'], {});
    expect(lineage.code).toBe(0);

    const usage = await runCli(
      ['usage', '--subject', 'spiffe://corp/support/reply-bot', '--db', first.db, '--bundle', DEFAULT_BUNDLE],
      {},
    );
    expect(usage.stderr).toBe('');
    expect(usage.code).toBe(0);

    const replay = await runCli(
      [
        'replay',
        '--bundle',
        DEFAULT_BUNDLE,
        '--active',
        DEFAULT_BUNDLE,
        '--db',
        first.db,
        '--format',
        'json',
      ],
      {},
    );
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);

    const report = await runCli(
      ['report', 'privileges', '--db', first.db, '--bundle', DEFAULT_BUNDLE, '--format', 'json'],
      {},
    );
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);

    // And none of them took the server's place.
    expect(holderOf(first.db)).toEqual({ pid: first.pid, command: 'modelgate serve' });
  });

  it('starts the next one at once after the first was SIGKILLed: no stale lock', async () => {
    process.kill(first.pid, 'SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The lock file stays; only the lock on it went with the process.
    expect(existsSync(lockFileOf(first.db))).toBe(true);

    const next = await startChildService({ dir: first.dir, rsa: first.rsa });
    try {
      expect(holderOf(next.db)).toEqual({ pid: next.pid, command: 'modelgate serve' });
      const res = await next.post('/v1/decide', supportAllowed.body, next.token(supportAllowed.claims));
      expect(res.status).toBe(200);
    } finally {
      expect(await next.stop()).toEqual({ code: 0, signal: null });
    }
  });
});

describe('two services on one SQLite audit log in one process', () => {
  let first: TestService;
  beforeEach(async () => {
    first = await startTestService();
  });
  afterEach(() => first.close());

  it('refuses the second as a second process is refused, and starts it once the first is stopped', async () => {
    const refused = startTestService({ db: first.db });
    await expect(refused).rejects.toThrow(AuditLogInUseError);
    await expect(refused).rejects.toThrow(
      `the audit log ${first.db} is in use by another service in this process (pid ${process.pid}, since `,
    );
    // The first one still serves: the refused start opened nothing, and let go of nothing of the first's.
    const res = await first.post('/v1/decide', supportAllowed.body, first.token(supportAllowed.claims));
    expect(res.status).toBe(200);
    const again = startTestService({ db: first.db });
    await expect(again).rejects.toThrow(AuditLogInUseError);

    await first.close();
    const restarted = await startTestService({ db: first.db });
    first = restarted; // afterEach closes it
    const after = await restarted.post(
      '/v1/decide',
      supportAllowed.body,
      restarted.token(supportAllowed.claims),
    );
    expect(after.status).toBe(200);
  });

  it('is one log however its path is spelled: through a symbolic link too', async () => {
    const linkDir = mkdtempSync(path.join(os.tmpdir(), 'mg-link-'));
    const link = path.join(linkDir, 'log');
    symlinkSync(path.dirname(first.db), link);
    const viaLink = path.join(link, path.basename(first.db));
    expect(lockFileOf(viaLink)).toBe(lockFileOf(first.db));
    await expect(startTestService({ db: viaLink })).rejects.toThrow(AuditLogInUseError);
  });
});

// Replicas share budgets through PostgreSQL: they are not locked out, even with one data folder for all (as the
// Compose `scale` profile has), where the SQLite path they do not use is the same.
describeWithPostgres('replicas on PostgreSQL', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 120_000);
  afterAll(() => cluster?.destroy());

  it('start side by side with the same data folder', async () => {
    const database = { url: await cluster.createDatabase(), poolSize: 2 };
    const a = await startTestService({ database });
    try {
      const b = await startTestService({ database, db: a.db, dataDir: path.dirname(a.db) });
      try {
        for (const svc of [a, b]) {
          const res = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
          expect(res.status).toBe(200);
        }
        expect(existsSync(`${a.db}-lock`)).toBe(false);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});

describe('the lock file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is <db>-lock beside the database, for its owner only, and outlives the lock', () => {
    const db = path.join(dir, 'modelgate.db');
    const lock = lockAuditLog(db, SERVE_LOCK);
    expect(lock.file).toBe(`${db}-lock`);
    expect(statSync(lock.file).mode & 0o777).toBe(0o600);
    lock.release();
    expect(existsSync(lock.file)).toBe(true);
    // Taken again once released.
    lockAuditLog(db, SERVE_LOCK).release();
  });

  it('names no holder when the lock file does not say who it is', () => {
    const db = path.join(dir, 'modelgate.db');
    // Another program holds the lock without writing a holder row.
    const other = new Database(`${db}-lock`, { timeout: 0 });
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(() => lockAuditLog(db, SERVE_LOCK)).toThrow(
        `the audit log ${db} is in use by another process: `,
      );
    } finally {
      other.close();
    }
    lockAuditLog(db, SERVE_LOCK).release();
  });

  it('refuses a lock file that is not an SQLite database, naming it', () => {
    const db = path.join(dir, 'modelgate.db');
    writeFileSync(`${db}-lock`, 'not a database, but long enough to have a header'.repeat(4));
    expect(() => lockAuditLog(db, SERVE_LOCK)).toThrow(`cannot use the lock file ${db}-lock`);
    expect(readFileSync(`${db}-lock`, 'utf8')).toMatch(/^not a database/);
  });
});
