import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import path from 'node:path';
import { appendMany, openStore } from '../audit/audit-fixtures';
import { runCli } from '../helpers/cli';

// What an operator scripting the CLI in cron and CI meets: a mistyped path, a folder where a file belongs.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-operator-review-'));
  chmodSync(dir, 0o755); // one case runs the CLI as another user
  dirs.push(dir);
  return dir;
}

// `audit export` of every record of `db` (JSON Lines unless told), to stdout unless more options follow.
const exportAll = (db: string, format = 'jsonl') => [
  'audit',
  'export',
  '--db',
  db,
  '--from',
  '2026-01-01',
  '--to',
  '2099-01-01',
  '--format',
  format,
];

describe('audit prune on a path that holds no audit log', () => {
  // A cron job with a typo in --db created an empty log there, "pruned" it every night and exited 0,
  // while the real log grew.
  it('refuses a missing file (exit 1) and creates nothing', async () => {
    const missing = path.join(tempDir(), 'modelgate.bd');
    const result = await runCli(['audit', 'prune', '--before', '2026-01-01', '--db', missing], {});
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `modelgate audit prune: --db: no audit log at ${missing} (nothing was recorded there, or the file is gone)\n`,
    });
    expect(existsSync(missing)).toBe(false);
  });

  it('still prunes a log that exists (the precondition of the case above)', async () => {
    const db = path.join(tempDir(), 'modelgate.db');
    const store = openStore(db);
    await appendMany(store, 3);
    await store.close();
    const result = await runCli(['audit', 'prune', '--before', '2099-01-01', '--db', db], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^pruned 3 records older than 2099-01-01/);
  });

  it('names a folder given as --db as a folder, for prune and for the read-only commands', async () => {
    const folder = path.join(tempDir(), 'data');
    mkdirSync(folder);
    const prune = await runCli(['audit', 'prune', '--before', '2026-01-01', '--db', folder], {});
    expect(prune).toMatchObject({ code: 1, stdout: '' });
    expect(prune.stderr).toBe(`modelgate audit prune: --db: ${folder} is a folder, not an audit log\n`);
    const verify = await runCli(['audit', 'verify', '--db', folder], {});
    expect(verify.code).toBe(3);
    expect(verify.stderr).toBe(
      `modelgate audit verify: could not verify: --db: ${folder} is a folder, not an audit log\n`,
    );
  });
});

describe('audit export to stdout whose reader goes away (`| head`)', () => {
  // It read the whole log on, with nowhere to write it, then said "exported 300000 records" and exited 0:
  // `| head -1` on a large log waited for minutes, and a pipeline whose consumer died reported a complete export.
  it('stops, says the export is incomplete and exits 1', async () => {
    const db = path.join(tempDir(), 'modelgate.db');
    const store = openStore(db);
    await appendMany(store, 300); // several 64 KiB chunks of JSON Lines
    await store.close();
    const argv = exportAll(db);
    const whole = await runCli(argv, {});
    expect(whole).toMatchObject({ code: 0, stderr: 'exported 300 records\n' });
    const firstLine = whole.stdout.indexOf('\n') + 1;

    const result = await runCli(argv, {}, { readerLeavesAfter: firstLine });
    expect(result.code).toBe(1);
    expect(result.stdout.length).toBeLessThan(whole.stdout.length);
    expect(result.stderr).toBe(
      'modelgate audit export: export aborted: stdout was closed (its reader went away); the export is incomplete\n',
    );
  });
});

describe('a misspelt command gets a suggestion', () => {
  // `modelgate aduit verify` answered with the whole help and no hint of which command was meant.
  it.each([
    [['aduit', 'verify'], 'modelgate: unknown command "aduit"; did you mean "audit"?', 'modelgate --help'],
    [['serv'], 'modelgate: unknown command "serv"; did you mean "serve"?', 'modelgate --help'],
    [
      ['audit', 'verfy'],
      'modelgate audit: unknown command "verfy"; did you mean "verify"?',
      'modelgate audit --help',
    ],
    [
      ['bundle', 'biuld', 'rego'],
      'modelgate bundle: unknown action "biuld"; did you mean "build"?',
      'modelgate bundle --help',
    ],
    [
      ['report', 'privilges'],
      'modelgate report: unknown report "privilges"; did you mean "privileges"?',
      'modelgate report --help',
    ],
  ])('%j', async (argv, first, help) => {
    const result = await runCli(argv, {});
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${first}\nRun "${help}" for usage.\n`);
  });

  it('a name far from every command still gets the list of commands', async () => {
    const result = await runCli(['frobnicate'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^modelgate: unknown command "frobnicate"\n\nUsage: modelgate <command>/);
  });
});

describe('a bad --db is named as the --db the operator typed, with its path', () => {
  const bundle = path.join(__dirname, '..', '..', 'bundles', 'modelgate.tar.gz');
  // "config: db:" sent the reader to a config file for a path typed after --db (audit commands said --db already).
  it.each([
    ['usage', ['usage', '--subject', 'x']],
    ['replay', ['replay', '--bundle', bundle]],
    ['report', ['report', 'privileges']],
  ])('%s: a missing file', async (command, argv) => {
    const missing = path.join(tempDir(), 'nope.db');
    const result = await runCli([...argv, '--db', missing], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `modelgate ${command}: --db: no audit log at ${missing} (nothing was recorded there, or the file is gone)\n`,
    );
  });

  // SQLite's "file is not a database" named no file.
  it('a file that is not SQLite at all', async () => {
    const notes = path.join(tempDir(), 'notes.txt');
    writeFileSync(notes, 'these are not the records you are looking for\n');
    const result = await runCli(['audit', 'verify', '--db', notes], {});
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `modelgate audit verify: could not verify: --db: ${notes} is not an SQLite database (file is not a database)\n`,
    );
  });
});

describe('what a script needs from the help', () => {
  // The top-level help said neither how a script tells a failure from a usage error nor which variables count.
  it('`modelgate --help` says the exit codes and the environment variables it reads', async () => {
    const { code, stdout } = await runCli(['--help'], {});
    expect(code).toBe(0);
    expect(stdout).toContain('Exit status: 0 success, 1 failure, 2 usage error');
    for (const name of ['MODELGATE_CONFIG', 'MODELGATE_DB', 'MODELGATE_DATABASE_URL', 'MODELGATE_BUNDLE']) {
      expect(stdout).toContain(name);
    }
    for (const name of ['MODELGATE_DATA_DIR', 'MODELGATE_OPA', 'PORT', 'HOST', 'LOG_LEVEL']) {
      expect(stdout).toContain(name);
    }
  });

  it.each([['serve'], ['token'], ['audit', 'keygen']])(
    '`modelgate %s --help` says its exit codes',
    async (...argv) => {
      const { code, stdout } = await runCli([...argv, '--help'], {});
      expect(code).toBe(0);
      expect(stdout).toMatch(/Exit status: 0 [^]+?, 2 /);
    },
  );
});

// node's advice on '--' ("To specify a positional argument starting with a '-' …") followed the mistyped
// option of the one audit subcommand that takes a positional, lineage; the other commands drop it.
it('audit lineage names a mistyped option in one line, as the other commands do', async () => {
  const result = await runCli(['audit', 'lineage', 'some-id', '--jsno'], {});
  expect(result.code).toBe(2);
  expect(result.stderr.split('\n')[0]).toBe(
    `modelgate audit lineage: Unknown option '--jsno'; did you mean --json?`,
  );
});

describe('audit verify by a user who may read the log but not write its folder', () => {
  // An auditor's account, or a backup on a read-only mount: SQLite must create <db>-shm to read a WAL database,
  // and said "attempt to write a readonly database" of a command documented to open it read-only.
  it('says what SQLite needs and the ways out (exit 3)', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'modelgate.db');
    const store = openStore(db);
    await appendMany(store, 2);
    await store.close();
    expect(readdirSync(dir)).toEqual(['modelgate.db']); // no -shm to read through
    chmodSync(db, 0o644);
    chmodSync(dir, 0o555);
    const asRoot = process.getuid?.() === 0;
    const result = asRoot
      ? runAsNobody(['audit', 'verify', '--db', db])
      : await runCli(['audit', 'verify', '--db', db], {});
    chmodSync(dir, 0o755);
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr:
        `modelgate audit verify: could not verify: --db: cannot open ${db} read-only here: SQLite must create ` +
        `${db}-shm beside a WAL database, and this user cannot write to ${dir}; run as the owner of the log, ` +
        'or read a copy in a folder this user can write\n',
    });
  });
});

// Root may write anywhere: the case above runs the built CLI as nobody (uid 65534) to be refused as an auditor is.
function runAsNobody(argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const main = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
  const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  const run = spawnSync('setpriv', [...nobody, process.execPath, main, ...argv], {
    encoding: 'utf8',
    env: {},
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('a misspelt option gets a suggestion', () => {
  const bundle = path.join(__dirname, '..', '..', 'bundles', 'modelgate.tar.gz');
  // "Unknown option '--subjet'" and then the whole usage: the option meant had to be found in it by eye.
  it.each([
    [['usage', '--subjet', 'x'], 'usage', '--subjet', '--subject'],
    [['serve', '--confg', 'x.yaml'], 'serve', '--confg', '--config'],
    [['token', '--scpoe', 'invoke:x'], 'token', '--scpoe', '--scope'],
    [['replay', '--bundel', bundle], 'replay', '--bundel', '--bundle'],
    [['report', 'privileges', '--sinse', '7d'], 'report', '--sinse', '--since'],
    [['audit', 'export', '--form', '2026-01-01'], 'audit export', '--form', '--from'],
    [['test-bundle', bundle, 'cases/', '--juint', 'x.xml'], 'test-bundle', '--juint', '--junit'],
    [['bundle', 'inspect', bundle, '--jsn'], 'bundle', '--jsn', '--json'],
  ])('%j', async (argv, command, typed, meant) => {
    const result = await runCli(argv, {});
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(
      `modelgate ${command}: Unknown option '${typed}'; did you mean ${meant}?`,
    );
  });
});

// "config: public_key: is not a PEM public key" named neither the option nor which of several files it was.
it('audit verify names the --public-key file that holds no Ed25519 public key (exit 3)', async () => {
  const db = path.join(tempDir(), 'modelgate.db');
  const store = openStore(db);
  await appendMany(store, 1);
  await store.close();
  const notAKey = path.join(tempDir(), 'audit-signing.pub.pem');
  writeFileSync(notAKey, 'not a key\n');
  const result = await runCli(['audit', 'verify', '--db', db, '--public-key', notAKey], {});
  expect(result).toEqual({
    code: 3,
    stdout: '',
    stderr: `modelgate audit verify: could not verify: --public-key: ${notAKey} is not a PEM public key\n`,
  });
});

describe('output files in folders that do not exist yet, or a folder given as the file', () => {
  async function smallLog(): Promise<string> {
    const db = path.join(tempDir(), 'modelgate.db');
    const store = openStore(db);
    await appendMany(store, 2);
    await store.close();
    return db;
  }
  const exportTo = (db: string, out: string) => runCli([...exportAll(db, 'csv'), '--out', out], {});

  // As bundle build -o and test-bundle --junit: `--out exports/2026-11.csv` in a fresh folder read the whole log,
  // then failed on ENOENT.
  it('audit export --out creates the folder', async () => {
    const out = path.join(tempDir(), 'exports', '2026-11.csv');
    const result = await exportTo(await smallLog(), out);
    expect(result).toMatchObject({ code: 0, stderr: `exported 2 records to ${out}\n` });
    expect(readFileSync(out, 'utf8').split('\n')[0]).toMatch(/^seq,decision_id,/);
  });

  // It read the whole log into FILE.partial, then failed to rename it over the folder (EISDIR).
  it('audit export --out refuses a folder before reading the log (exit 2)', async () => {
    const folder = path.join(tempDir(), 'exports');
    mkdirSync(folder);
    const result = await exportTo(await smallLog(), folder);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      `modelgate audit export: --out ${folder} is a folder; name a file in it`,
    );
    expect(readdirSync(path.dirname(folder))).toEqual(['exports']);
  });

  it('report privileges --patch creates the folder', async () => {
    const patch = path.join(tempDir(), 'proposals', 'tightened.json');
    const result = await runCli(['report', 'privileges', '--db', await smallLog(), '--patch', patch], {});
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(patch, 'utf8'))).toHaveProperty('subjects');
  });
});

// `serve -c FILE` is turned into MODELGATE_CONFIG inside, and its error named the variable the operator never set.
it('serve -c names --config when the file cannot be read (exit 2)', async () => {
  const missing = path.join(tempDir(), 'modelgate.yaml');
  const result = await runCli(['serve', '-c', missing], {});
  expect(result).toEqual({
    code: 2,
    stdout: '',
    stderr: `modelgate: cannot start: --config: cannot read ${missing} (ENOENT)\n`,
  });
});

describe('`help` inside a command, as `modelgate help audit` is', () => {
  // `modelgate bundle help` said "bundle help needs exactly one path" (exit 2), while `audit help` and
  // `report help` print their help; `audit help verify` printed the audit overview, not verify's options.
  it('`modelgate bundle help` prints the bundle help and exits 0', async () => {
    const result = await runCli(['bundle', 'help'], {});
    expect(result).toEqual({ code: 0, stdout: (await runCli(['bundle', '--help'], {})).stdout, stderr: '' });
  });

  it('`modelgate audit help verify` prints what `audit verify --help` does', async () => {
    const own = await runCli(['audit', 'verify', '--help'], {});
    expect(own.stdout).toMatch(/^Usage: modelgate audit verify /);
    expect(await runCli(['audit', 'help', 'verify'], {})).toEqual(own);
  });
});

// SQLite's "database is locked" said neither what held it nor whether anything had been deleted.
it('audit prune on a log another connection holds a write transaction on says so (exit 1), and prunes nothing', async () => {
  const db = path.join(tempDir(), 'modelgate.db');
  const store = openStore(db);
  await appendMany(store, 3);
  await store.close();
  const holder = new Database(db);
  holder.exec('BEGIN IMMEDIATE');
  try {
    const result = await runCli(['audit', 'prune', '--before', '2099-01-01', '--db', db], {});
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'modelgate audit prune: the audit log is locked: another connection holds a write transaction on it ' +
        '(another prune, or a program stuck in one); nothing was pruned, try again\n',
    });
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  const after = await runCli(['audit', 'verify', '--db', db], {});
  expect(after.stdout).toMatch(/^3 records, chain intact/);
});

// Ctrl-C (or a cron `timeout`'s SIGTERM) during `export --out FILE` left FILE.partial behind, megabytes of an
// export that would never finish. The export is held mid-way deterministically: FILE.partial is a FIFO that this
// test reads one chunk from and then stops reading.
describe.each(['SIGINT', 'SIGTERM'] as const)('audit export --out interrupted by %s', (signal) => {
  it('removes FILE.partial, writes no FILE, and ends as the signal ends a process', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'modelgate.db');
    const store = openStore(db);
    await appendMany(store, 300); // far more than a pipe holds
    await store.close();
    const out = path.join(dir, 'export.jsonl');
    execFileSync('mkfifo', [`${out}.partial`]);
    const main = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
    const argv = exportAll(db);
    const child = spawn(process.execPath, [main, ...argv, '--out', out], { stdio: 'ignore' });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    const reader = createReadStream(`${out}.partial`);
    await new Promise((resolve) => reader.once('data', resolve)); // the export is under way
    reader.pause();
    child.kill(signal);
    expect(await ended).toEqual({ code: null, signal });
    reader.destroy();
    expect(readdirSync(dir).filter((f) => f.startsWith('export.jsonl'))).toEqual([]);
  });
});
