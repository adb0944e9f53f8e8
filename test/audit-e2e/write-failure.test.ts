/**
 * The audit log's files cannot be written: the server's RLIMIT_FSIZE is lowered, while it runs, below what
 * any commit writes, so the next commit's write fails with EFBIG as on a full disk or an exhausted quota. This is the most realistic "disk full" that works without privileges and as root:
 * root ignores chmod, a read-only remount or `chattr +i` need capabilities CI containers lack, a small
 * loop-mounted or tmpfs filesystem needs CAP_SYS_ADMIN, and PRAGMA max_page_count or query_only only
 * affect the connection that sets them (test/audit/audit-failure.test.ts covers those at store level).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startChildService, type ChildService } from '../helpers/child-service';
import { runCli } from '../helpers/cli';
import { waitFor } from '../helpers/wait-for';
import {
  AUDIT_SCOPE,
  AUDITOR,
  rowDigest,
  storedDecisionIds,
  strangerDenied,
  supportAllowed,
} from './e2e-fixtures';

// util-linux prlimit(1): lowering a limit of a process with our own uid needs no capability.
function setFileSizeLimit(pid: number, soft: string): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${soft}:`]);
}

function fileSizeLimit(pid: number): string {
  return execFileSync(
    'prlimit',
    ['--pid', String(pid), '--fsize', '--output=SOFT', '--noheadings', '--raw'],
    {
      encoding: 'utf8',
    },
  ).trim();
}

const codes = (body: Record<string, unknown>) => (body.reasons as { code: string }[]).map((r) => r.code);

describe('the audit log cannot grow (file-size limit reached while serving)', () => {
  let svc: ChildService;
  let originalLimit: string;
  let digestBefore: string;
  const refused: string[] = [];
  beforeAll(async () => {
    try {
      execFileSync('prlimit', ['--version']);
    } catch (err) {
      throw new Error('these tests need prlimit(1) from util-linux on the PATH', { cause: err });
    }
    // Errors are logged, so the test can see why the decisions were refused; decision lines too (info).
    svc = await startChildService({ logLevel: 'info' });
    originalLimit = fileSizeLimit(svc.pid);
  });
  afterAll(async () => {
    await svc?.stop();
    if (svc) rmSync(svc.dir, { recursive: true, force: true });
  });

  it('records allowed, denied and rejected decisions while the files can grow (the precondition)', async () => {
    const allowed = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
    const denied = await svc.post('/v1/decide', strangerDenied.body, svc.token(strangerDenied.claims));
    const rejected = await svc.post('/v1/decide', supportAllowed.body, null);
    expect([allowed.status, allowed.body.allow]).toEqual([200, true]);
    expect([denied.status, denied.body.allow]).toEqual([200, false]);
    expect(rejected.status).toBe(401);
    const stored = storedDecisionIds(svc.db);
    for (const res of [allowed, denied, rejected])
      expect(stored.has(res.body.decision_id as string)).toBe(true);
  });

  it('answers every call 503 audit_unavailable with allow false once the files cannot grow', async () => {
    // Below what one commit writes to the WAL (a 32-byte header, then 24 bytes and a page per frame, several pages
    // a record): after a WAL checkpoint SQLite writes the WAL again from its start, so a limit at the files'
    // present sizes would not stop the next commit.
    const limit = 4096;
    digestBefore = rowDigest(svc.db);
    setFileSizeLimit(svc.pid, String(limit));
    expect(fileSizeLimit(svc.pid)).toBe(String(limit));

    const calls = [
      ['an allow', () => svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims))],
      ['a deny', () => svc.post('/v1/decide', strangerDenied.body, svc.token(strangerDenied.claims))],
      ['a rejection (no token)', () => svc.post('/v1/decide', supportAllowed.body, null)],
      ['an audit read', () => svc.get('/v1/decisions', svc.token({ sub: AUDITOR, scope: AUDIT_SCOPE }))],
    ] as const;
    for (const [name, call] of calls) {
      const res = await call();
      expect({ name, status: res.status, allow: res.body.allow, codes: codes(res.body) }).toEqual({
        name,
        status: 503,
        allow: false,
        codes: ['audit_unavailable'],
      });
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body).not.toHaveProperty('redacted_payload');
      refused.push(res.body.decision_id as string);
    }
    // The refusals come from the failed write itself, not from anything else answering 503.
    expect(svc.output()).toMatch(/audit log commit failed/);
    // EFBIG from write(2) is how SQLite reports a file that may not grow: SQLITE_IOERR_WRITE.
    expect(svc.output()).toMatch(/SQLITE_IOERR_WRITE/);
  });

  it("never logs a refused decision's secrets: its log line shows the record's columns redacted", async () => {
    const token = 'ghp_R8x2mQ9vT4kL7nB3wZ6yH1cF5dJ0sA2pE9uG';
    const body = {
      invocation: {
        ...(supportAllowed.body.invocation as Record<string, unknown>),
        model: `anthropic.claude-haiku:${token}`,
      },
    };
    const res = await svc.post('/v1/decide', body, svc.token(supportAllowed.claims));
    expect(res.status).toBe(503);
    refused.push(res.body.decision_id as string);
    // The child's log reaches this process through a pipe, a little after the reply.
    const logLine = () =>
      svc
        .output()
        .split('\n')
        .find((l) => l.includes(res.body.decision_id as string) && l.includes('"msg":"decision"'));
    await waitFor("the refused decision's log line", () => logLine() !== undefined, 10_000);
    const line = logLine();
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      recorded: false,
      model: 'anthropic.claude-haiku:[REDACTED:github_token]',
    });
    expect(svc.output()).not.toContain(token);
  });

  it('changes no stored row while it refuses', () => {
    expect(digestBefore).toEqual(expect.any(String));
    expect(rowDigest(svc.db)).toBe(digestBefore);
    const stored = storedDecisionIds(svc.db);
    expect(refused.filter((id) => stored.has(id))).toEqual([]);
  });

  it('records again once the limit is lifted, on a chain that still verifies', async () => {
    setFileSizeLimit(svc.pid, originalLimit);
    const res = await svc.post('/v1/decide', supportAllowed.body, svc.token(supportAllowed.claims));
    expect([res.status, res.body.allow]).toEqual([200, true]);
    expect(storedDecisionIds(svc.db).has(res.body.decision_id as string)).toBe(true);
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
    const verify = await runCli(['audit', 'verify', '--db', svc.db]);
    expect(verify.stdout).toMatch(/^4 records, chain intact/);
    expect(verify.code).toBe(0);
  });
});
