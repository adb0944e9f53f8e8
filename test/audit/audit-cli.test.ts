import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { auditCommand } from '../../src/cli/commands/audit';
import { appendMany, makeRecord, openStore, tamper, tempDir } from './audit-fixtures';

const dir = tempDir();

// Runs `modelgate audit ...` with captured output.
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, isTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await auditCommand.run(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
    isTTY,
  });
  return { code, stdout, stderr };
}

async function logWith(records: number, name: string): Promise<string> {
  const file = join(dir, name);
  const store = openStore(file);
  await appendMany(store, records, (i) => ({
    timestamp: new Date(Date.UTC(2026, 10, 1 + (i % 5))).toISOString(),
  }));
  await store.close();
  return file;
}

describe('modelgate audit', () => {
  it('verify prints the record count and head of an intact chain and exits 0', async () => {
    const file = await logWith(12, 'intact.db');
    const result = await cli(['verify', '--db', file]);
    expect(result).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^12 records, chain intact, head [0-9a-f]{64}\n$/),
      stderr: '',
    });
  });

  it('verify finds the database through MODELGATE_DB', async () => {
    const file = await logWith(3, 'env.db');
    expect((await cli(['verify'], { MODELGATE_DB: file })).stdout).toMatch(/^3 records, chain intact/);
  });

  it('verify finds the database through MODELGATE_DATA_DIR, as serve does (<data_dir>/modelgate.db)', async () => {
    const dataDir = join(dir, 'data-dir');
    await logWith(4, join('data-dir', 'modelgate.db'));
    const result = await cli(['verify'], { MODELGATE_DATA_DIR: dataDir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^4 records, chain intact/);
  });

  it('verify prints the first break and exits 1', async () => {
    const file = await logWith(12, 'broken.db');
    expect((await cli(['verify', '--db', file])).code).toBe(0);
    tamper(file, 'DELETE FROM audit_records WHERE seq = 4');
    const result = await cli(['verify', '--db', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^chain broken at seq 4: deleted\n {2}records are missing: seq 4 is not in the log\n {2}3 records checked/,
    );
  });

  it('verify --json prints the result object', async () => {
    const file = await logWith(2, 'json.db');
    const result = await cli(['verify', '--db', file, '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, records: 2 });
  });

  it('verify checks signed checkpoints with --public-key', async () => {
    const keyDir = join(dir, 'keys');
    expect((await cli(['keygen', '--out', keyDir])).code).toBe(0);
    const file = join(dir, 'signed.db');
    const store = openStore(file, {
      checkpoint: { privateKeyFile: join(keyDir, 'audit-signing.pem'), everyRecords: 5 },
    });
    await appendMany(store, 7);
    await store.append(makeRecord());
    const result = await cli(['verify', '--db', file, '--public-key', join(keyDir, 'audit-signing.pub.pem')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /1 signed checkpoints verified, the last at seq 7; 1 later records are not signed yet/,
    );
  });

  it('keygen writes a private key only its owner can read, and refuses to overwrite it', async () => {
    const keyDir = join(dir, 'keygen');
    const result = await cli(['keygen', '--out', keyDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/key id [0-9a-f]{64}/);
    expect(statSync(join(keyDir, 'audit-signing.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(keyDir, 'audit-signing.pub.pem'), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
    const again = await cli(['keygen', '--out', keyDir]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('already exists') });
  });

  it('export writes JSONL to a file, only once complete, and reports the count on stderr', async () => {
    const file = await logWith(10, 'export.db');
    const out = join(dir, 'out.jsonl');
    const result = await cli([
      'export',
      '--db',
      file,
      '--from',
      '2026-11-02',
      '--to',
      '2026-11-04',
      '--format',
      'jsonl',
      '--out',
      out,
    ]);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe(`exported 4 records to ${out}\n`);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { timestamp: string }).timestamp.slice(0, 10))).toEqual([
      '2026-11-02',
      '2026-11-02',
      '2026-11-03',
      '2026-11-03',
    ]);
  });

  it('export writes CSV to stdout without progress when stderr is not a terminal', async () => {
    const file = await logWith(5, 'csv.db');
    const result = await cli([
      'export',
      '--db',
      file,
      '--from',
      '2026-11-01',
      '--to',
      '2026-12-01',
      '--format',
      'csv',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\r\n')[0]).toMatch(/^seq,decision_id,timestamp,/);
    expect(result.stdout.trimEnd().split('\r\n')).toHaveLength(6);
    expect(result.stderr).toBe('exported 5 records\n');
  });

  it('export refuses a missing range or an unknown format with exit 2 and the usage', async () => {
    const file = await logWith(1, 'usage.db');
    const missing = await cli(['export', '--db', file, '--format', 'jsonl']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--from is required[\s\S]*Usage: modelgate audit export/);
    const format = await cli([
      'export',
      '--db',
      file,
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-02',
      '--format',
      'xml',
    ]);
    expect(format.code).toBe(2);
  });

  it('prune deletes old records and verify still passes', async () => {
    const file = await logWith(10, 'prune.db');
    const result = await cli(['prune', '--db', file, '--before', '2026-11-03']);
    expect(result.code).toBe(0);
    // Records are committed in timestamp order 1,2,3,4,5,1,2,...: only the first two form an old prefix.
    expect(result.stdout).toMatch(
      /^pruned 2 records older than 2026-11-03; the chain now starts after seq 2/,
    );
    const verify = await cli(['verify', '--db', file]);
    expect(verify.stdout).toMatch(/^8 records, chain intact[\s\S]*the chain starts after seq 2/);
  });

  it('prints help for the command and each subcommand, and exits 2 on unknown ones', async () => {
    expect(await cli(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/verify[\s\S]*export[\s\S]*prune[\s\S]*keygen/),
    });
    for (const sub of ['verify', 'export', 'prune', 'keygen']) {
      expect(await cli([sub, '--help'])).toMatchObject({
        code: 0,
        stdout: expect.stringContaining(`modelgate audit ${sub}`),
      });
    }
    expect(await cli(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command "frobnicate"/),
    });
    expect(await cli(['verify', '--bogus'])).toMatchObject({ code: 2 });
    expect(await cli([])).toMatchObject({ code: 2 });
  });

  it('verify of a missing database fails without creating it', async () => {
    const file = join(dir, 'nope.db');
    const result = await cli(['verify', '--db', file]);
    expect(result.code).toBe(3); // could not verify: not 1, which says the chain is broken
    expect(result.stderr).toMatch(/no audit log at .*nope\.db \(nothing was recorded there/);
    expect(existsSync(file)).toBe(false);
  });
});
