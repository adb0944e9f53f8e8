import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendMany, openStore, tamper } from '../audit/audit-fixtures';
import { runCli } from '../helpers/cli';

// What a platform engineer meeting the CLI for the first time trips on: help that is not where they
// ask for it, usage mistakes answered as if the command had run, and exit codes a script cannot tell apart.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-cli-review-'));
  dirs.push(dir);
  return dir;
}

async function auditLog(records: number): Promise<string> {
  const file = path.join(tempDir(), 'modelgate.db');
  const store = openStore(file);
  await appendMany(store, records);
  await store.close();
  return file;
}

describe('help where it is asked for', () => {
  it.each(['audit', 'token', 'replay', 'report', 'bundle'])(
    '`modelgate help %s` prints that command’s own help, as its --help does, and exits 0',
    async (command) => {
      const own = await runCli([command, '--help']);
      expect(own.code).toBe(0);
      expect(await runCli(['help', command])).toEqual(own);
    },
  );

  it('`modelgate help nosuch` names the unknown command and exits 2', async () => {
    const result = await runCli(['help', 'nosuch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^modelgate: unknown command "nosuch"\n/);
  });

  // A script that ran `modelgate` with nothing gets exit 2; the help is then an error message, not output.
  it('`modelgate` with no command prints the help on stderr and exits 2', async () => {
    const result = await runCli([]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining('Commands:') });
  });

  it('`modelgate report help` prints the report help, as `modelgate audit help` does', async () => {
    expect((await runCli(['audit', 'help'])).code).toBe(0);
    const result = await runCli(['report', 'help']);
    expect(result).toEqual({ code: 0, stdout: (await runCli(['report', '--help'])).stdout, stderr: '' });
  });
});

describe('a mistyped option gets one line that names it', () => {
  it.each([
    [['bundle', 'inspect', 'x.tar.gz', '--bundel'], 'bundle', '--bundel'],
    [['test-bundle', 'b.tar.gz', 'cases/', '--entrypiont', 'x'], 'test-bundle', '--entrypiont'],
  ])('%j: names the command and the option, exit 2', async (argv, command, option) => {
    const result = await runCli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    // With a suggestion when a known option is near (test/cli/operator-review.test.ts).
    expect(result.stderr.split('\n')[0]).toMatch(
      new RegExp(`^modelgate ${command}: Unknown option '${option}'(; did you mean --[\\w-]+\\?)?$`),
    );
  });
});

describe('a malformed date is a usage error (exit 2), found before any database is touched', () => {
  it.each([
    [['audit', 'prune', '--before', 'last-tuesday'], 'before'],
    [['audit', 'export', '--from', '2026-13-01', '--to', '2026-12-01', '--format', 'csv'], 'from'],
    [['audit', 'export', '--from', '2026-11-01', '--to', 'tomorrow', '--format', 'csv'], 'to'],
    [['report', 'privileges', '--since', '3x'], 'since'],
    [['report', 'privileges', '--until', 'soon'], 'until'],
  ])('%j', async (argv, field) => {
    const db = await auditLog(2);
    const result = await runCli([...argv, '--db', db], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^modelgate (audit \\w+|report): ${field} must be`));
  });

  it('a well-formed date still runs (the precondition of the cases above)', async () => {
    const db = await auditLog(2);
    const result = await runCli(['audit', 'prune', '--before', '2020-01-01', '--db', db], {});
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^nothing to prune/) });
  });
});

describe('audit verify and lineage: "could not run" is not "the check failed"', () => {
  it('verify exits 1 for a broken chain and 3 when it cannot read the log, so a tamper alarm is not a typo', async () => {
    const db = await auditLog(3);
    expect((await runCli(['audit', 'verify', '--db', db], {})).code).toBe(0);
    tamper(db, 'DELETE FROM audit_records WHERE seq = 2');
    expect((await runCli(['audit', 'verify', '--db', db], {})).code).toBe(1);
    const missing = await runCli(['audit', 'verify', '--db', path.join(tempDir(), 'nope.db')], {});
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^modelgate audit verify: could not verify: .*no audit log at .*nope\.db/);
  });

  it('verify exits 3 when a --public-key file cannot be read', async () => {
    const db = await auditLog(1);
    const result = await runCli(
      ['audit', 'verify', '--db', db, '--public-key', '/nonexistent/k.pub.pem'],
      {},
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^modelgate audit verify: could not verify: .*\/nonexistent\/k\.pub\.pem/);
  });

  it('verify exits 3 when the file is not an audit log', async () => {
    const file = path.join(tempDir(), 'notes.db');
    writeFileSync(file, 'this is not SQLite');
    const result = await runCli(['audit', 'verify', '--db', file], {});
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^modelgate audit verify: could not verify: .+\n$/);
  });

  it('lineage exits 1 for an unknown decision and 3 when it cannot read the log', async () => {
    const db = await auditLog(1);
    expect((await runCli(['audit', 'lineage', 'no-such-id', '--db', db], {})).code).toBe(1);
    const missing = await runCli(['audit', 'lineage', 'x', '--db', path.join(tempDir(), 'nope.db')], {});
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^modelgate audit lineage: could not run: /);
  });

  it('says the exit codes in its help', async () => {
    expect((await runCli(['audit', 'verify', '--help'])).stdout).toContain(
      'Exit status: 0 intact, 1 broken, 2 usage error, 3 could not verify',
    );
  });
});

describe('exit codes that say what happened', () => {
  const cases = path.join(__dirname, '..', 'cases');
  const bundle = path.join(__dirname, '..', '..', 'bundles', 'modelgate.tar.gz');

  // Exit 1 says a case failed: a CI job read an unwritable --junit path as a broken policy.
  it('test-bundle exits 2, not 1, when every case passed but the JUnit report cannot be written', async () => {
    expect((await runCli(['test-bundle', bundle, cases])).code).toBe(0);
    // A folder it cannot create: its parent is a file.
    const notAFolder = path.join(tempDir(), 'reports');
    writeFileSync(notAFolder, '');
    const junit = path.join(notAFolder, 'junit.xml');
    const result = await runCli(['test-bundle', bundle, cases, '--junit', junit]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/bundle cases: \d+ passed, 0 failed\n$/);
    expect(result.stderr).toContain(
      `modelgate test-bundle: cannot write the JUnit report ${junit} (EEXIST)\n`,
    );
  });

  // docs/policies.md's CI line, `--junit reports/bundle-cases.xml`, exited 2 in a fresh checkout (no reports/).
  it('test-bundle creates the folder of the JUnit report', async () => {
    const junit = path.join(tempDir(), 'reports', 'bundle-cases.xml');
    const result = await runCli(['test-bundle', bundle, cases, '--junit', junit]);
    expect(result).toMatchObject({ code: 0 });
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite');
  });

  // "config: db:" sent the reader to a config file for a path they had typed after --db.
  it('audit names the option a bad path came from, and the subcommand', async () => {
    const missing = path.join(tempDir(), 'nope.db');
    const result = await runCli(
      ['audit', 'export', '--db', missing, '--from', '2026-01-01', '--to', '2026-02-01', '--format', 'csv'],
      {},
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `modelgate audit export: --db: no audit log at ${missing} (nothing was recorded there, or the file is gone)\n`,
    );
    const keys = tempDir();
    expect((await runCli(['audit', 'keygen', '--out', keys], {})).code).toBe(0);
    const again = await runCli(['audit', 'keygen', '--out', keys], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^modelgate audit keygen: --out: .*audit-signing\.pem already exists/);
  });

  it('serve documents its -c shorthand for --config', async () => {
    expect((await runCli(['serve', '--help'])).stdout).toContain('Usage: modelgate serve [-c|--config FILE]');
  });
});
