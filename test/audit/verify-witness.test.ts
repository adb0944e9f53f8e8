/**
 * `audit verify --witness FILE`: the last signed checkpoint a verify saw, kept off the database host. An
 * attacker with write access to the log but not the signing key can roll it back (drop the last records and
 * the checkpoints that cover them) or replace it with a consistent chain and no checkpoints: the log alone
 * still verifies. The witness remembers what was signed before, so the next verify notices.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCheckpointKeys, SqliteAuditStore } from '../../src/audit';
import { forgeChain } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { appendMany, silentLogger, tamper, tempDir } from './audit-fixtures';

const dir = tempDir();
const keys = generateCheckpointKeys(join(dir, 'keys'));
let n = 0;

// 25 records signed every 10 (checkpoints at 10, 20 and 25, the last at close).
async function signedLog(): Promise<string> {
  const file = join(dir, `log-${++n}.db`);
  const store = SqliteAuditStore.open({
    path: file,
    logger: silentLogger,
    checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 10, everySeconds: 3600 },
  });
  for (let i = 0; i < 5; i++) await appendMany(store, 5);
  await store.close();
  return file;
}

function verify(file: string, ...extra: string[]) {
  return runCli(['audit', 'verify', '--db', file, '--public-key', keys.publicKeyFile, ...extra], {});
}

// Recomputes every hash from seq 1 with each record's outcome flipped to denied, and deletes the checkpoints: a
// consistent forged chain.
function forgeWholeChain(file: string): void {
  forgeChain(
    file,
    (record) => {
      record.outcome = 'denied';
    },
    (db) => db.exec('DELETE FROM audit_checkpoints'),
  );
}

describe('audit verify --witness', () => {
  it('keeps the last signed checkpoint it verified in the witness file', async () => {
    const file = await signedLog();
    const witness = join(dir, `witness-${n}.json`);
    expect(existsSync(witness)).toBe(false);
    const first = await verify(file, '--witness', witness);
    expect(first.code).toBe(0);
    expect(JSON.parse(readFileSync(witness, 'utf8'))).toMatchObject({ seq: 25, key_id: expect.any(String) });
    const again = await verify(file, '--witness', witness);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('the checkpoint at seq 25 that an earlier verify saw is still in the log');
  });

  it('finds the tail dropped with the checkpoints that covered it', async () => {
    const file = await signedLog();
    const witness = join(dir, `witness-${n}.json`);
    expect((await verify(file, '--witness', witness)).code).toBe(0);
    tamper(file, 'DELETE FROM audit_records WHERE seq > 20');
    tamper(file, 'DELETE FROM audit_checkpoints WHERE seq > 20');
    // The precondition: the log alone is a consistent, signed chain of 20 records.
    expect(await verify(file, '--full')).toMatchObject({ code: 0 });
    const result = await verify(file, '--witness', witness, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      problem: 'deleted',
      first_bad: { seq: 21 },
      message: expect.stringContaining('an earlier verify saw a signed checkpoint at seq 25'),
    });
    // A failed verify leaves the witness as it was, so the next one fails too.
    expect(JSON.parse(readFileSync(witness, 'utf8'))).toMatchObject({ seq: 25 });
  });

  it('finds a whole log replaced by a consistent chain without checkpoints', async () => {
    const file = await signedLog();
    const witness = join(dir, `witness-${n}.json`);
    expect((await verify(file, '--witness', witness)).code).toBe(0);
    forgeWholeChain(file);
    expect(await verify(file)).toMatchObject({ code: 0 });
    const result = await verify(file, '--witness', witness);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('rewritten');
    expect(result.stdout).toContain('an earlier verify saw a signed checkpoint at seq 25');
  });

  it('finds the log emptied behind a prune anchor placed past the witness', async () => {
    const file = await signedLog();
    const witness = join(dir, `witness-${n}.json`);
    expect((await verify(file, '--witness', witness)).code).toBe(0);
    // What `audit prune` writes, by hand: every record gone, the chain said to start after seq 26.
    tamper(file, 'DELETE FROM audit_records');
    tamper(file, 'DELETE FROM audit_reasons');
    tamper(file, 'DELETE FROM audit_checkpoints');
    tamper(
      file,
      `INSERT INTO audit_prunes (seq, hash, before_ts, deleted, pruned_at) VALUES (26, ?, '2026-12-01T00:00:00.000Z', 26, '2026-12-01T00:00:00.000Z')`,
      'f'.repeat(64),
    );
    expect(await verify(file)).toMatchObject({ code: 0 });
    const result = await verify(file, '--witness', witness, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      problem: 'deleted',
      first_bad: { seq: 25 },
      message: expect.stringContaining('the log was pruned through seq 26'),
    });
  });

  it('refuses a witness file that is not a checkpoint signed by a key given', async () => {
    const file = await signedLog();
    const witness = join(dir, `witness-${n}.json`);
    expect((await verify(file, '--witness', witness)).code).toBe(0);
    const saved = JSON.parse(readFileSync(witness, 'utf8')) as { seq: number };
    writeFileSync(witness, JSON.stringify({ ...saved, seq: 3 }));
    const forged = await verify(file, '--witness', witness);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain('bad_checkpoint_signature');
    writeFileSync(witness, '{"seq":');
    const garbled = await verify(file, '--witness', witness);
    expect(garbled.code).toBe(1);
    expect(garbled.stderr).toContain(`the witness file ${witness} does not hold a signed checkpoint`);
  });

  it('needs a public key', async () => {
    const file = await signedLog();
    const result = await runCli(['audit', 'verify', '--db', file, '--witness', join(dir, 'w.json')], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--witness needs --public-key');
  });
});

// A witness folder that is not there (a volume not mounted, a typo in cron) was found after the whole log had
// been re-hashed, when the witness could not be written: minutes on a large log, then ENOENT on a .partial file.
it('refuses a --witness in a folder that does not exist before verifying anything (exit 3)', async () => {
  const file = await signedLog();
  const witness = join(dir, 'not-mounted', 'prod.json');
  const result = await verify(file, '--witness', witness);
  expect(result).toEqual({
    code: 3,
    stdout: '',
    stderr:
      `modelgate audit verify: could not verify: --witness: the folder ${join(dir, 'not-mounted')} does not ` +
      'exist (is its volume mounted?)\n',
  });
});
