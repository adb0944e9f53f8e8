/**
 * Incremental verify: every signed checkpoint is checked, then only the records from the last one
 * on are re-hashed. What it trusts (the records before that checkpoint) and what it re-reads is
 * in its result, and each test below proves the precondition with a full verify first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  canonicalJson,
  chainHash,
  GENESIS_HASH,
  generateCheckpointKeys,
  loadCheckpointSigner,
  SqliteAuditStore,
  type VerifyResult,
} from '../../src/audit';
import { auditCommand } from '../../src/cli/commands/audit';
import { appendMany, silentLogger, tamper, tempDir } from './audit-fixtures';

const dir = tempDir();
const keys = generateCheckpointKeys(join(dir, 'keys'));
const otherKeys = generateCheckpointKeys(join(dir, 'other-keys'));
const publicKey = readFileSync(keys.publicKeyFile, 'utf8');
let n = 0;

// 25 records signed every 10 (checkpoints at 10, 20 and 25, the last at close), then 5 records
// appended without a signer: seq 26 to 30 are covered by the hash chain only.
async function signedLog(): Promise<string> {
  const file = join(dir, `log-${++n}.db`);
  const signing = SqliteAuditStore.open({
    path: file,
    logger: silentLogger,
    checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 10, everySeconds: 3600 },
  });
  for (let i = 0; i < 5; i++) await appendMany(signing, 5);
  await signing.close();
  const plain = SqliteAuditStore.open({ path: file, logger: silentLogger });
  await appendMany(plain, 5);
  await plain.close();
  return file;
}

async function verify(
  file: string,
  incremental: boolean,
  publicKeys: string[] | null = [publicKey],
): Promise<VerifyResult> {
  const store = SqliteAuditStore.open({ path: file, logger: silentLogger, readonly: true });
  try {
    return await store.verify({ publicKeys: publicKeys ?? undefined, incremental });
  } finally {
    await store.close();
  }
}

// Changes a record's content in place (its stored hash no longer matches), index column included.
function editRecord(file: string, seq: number): void {
  tamper(
    file,
    `UPDATE audit_records SET record = replace(record, '"outcome":"allowed"', '"outcome":"denied"'),
     outcome = 'denied' WHERE seq = ?`,
    seq,
  );
}

// Edits one record and recomputes every hash from `fromSeq` to the head: a consistent chain.
function rewriteFrom(file: string, fromSeq: number): void {
  const db = new Database(file);
  const rows = db
    .prepare('SELECT seq, record, prev_hash FROM audit_records WHERE seq >= ? ORDER BY seq')
    .all(fromSeq) as { seq: number; record: string; prev_hash: string }[];
  let prev = rows[0]?.prev_hash ?? GENESIS_HASH;
  const update = db.prepare(
    'UPDATE audit_records SET record = ?, prev_hash = ?, hash = ?, outcome = ? WHERE seq = ?',
  );
  db.transaction(() => {
    for (const row of rows) {
      const record = JSON.parse(row.record) as { outcome: string };
      if (row.seq === fromSeq) record.outcome = 'denied';
      const json = canonicalJson(record);
      const hash = chainHash(prev, row.seq, json);
      update.run(json, prev, hash, record.outcome, row.seq);
      prev = hash;
    }
  })();
  db.close();
}

function headOf(file: string): { seq: number; hash: string } {
  const db = new Database(file, { readonly: true });
  const head = db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1').get() as {
    seq: number;
    hash: string;
  };
  db.close();
  return head;
}

async function cli(argv: string[]) {
  let stdout = '';
  const code = await auditCommand.run(argv, {
    stdout: (s) => (stdout += s),
    stderr: () => undefined,
    env: {},
    isTTY: false,
  });
  return { code, stdout };
}

describe('incremental audit verify', () => {
  it('re-hashes only the records from the last signed checkpoint on, and says so', async () => {
    const file = await signedLog();
    expect(await verify(file, false)).toMatchObject({
      ok: true,
      records: 30,
      range: { mode: 'full', from_seq: 1, to_seq: 30, trusted_checkpoint: null },
    });
    expect(await verify(file, true)).toMatchObject({
      ok: true,
      records: 6,
      head: headOf(file).hash,
      checkpoints: { verified: 3, last_seq: 25, unsigned_records: 5 },
      range: { mode: 'incremental', from_seq: 25, to_seq: 30, trusted_checkpoint: { seq: 25 } },
    });
  });

  it('locates an edit after the last checkpoint exactly', async () => {
    const file = await signedLog();
    expect(await verify(file, true)).toMatchObject({ ok: true });
    editRecord(file, 28);
    expect(await verify(file, true)).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 28 },
      records_checked: 3,
      range: { mode: 'incremental', from_seq: 25, to_seq: 27 },
    });
    expect(await verify(file, false)).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 28 },
    });
  });

  it('re-hashes the checkpoint record itself', async () => {
    const file = await signedLog();
    editRecord(file, 25);
    expect(await verify(file, true)).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 25 },
    });
  });

  it('does not re-read an edit before the last checkpoint, which --full finds', async () => {
    const file = await signedLog();
    editRecord(file, 15);
    expect(await verify(file, false)).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 15 },
    });
    expect(await verify(file, true)).toMatchObject({
      ok: true,
      range: { mode: 'incremental', from_seq: 25, trusted_checkpoint: { seq: 25 } },
    });

    const routine = await cli(['verify', '--db', file, '--public-key', keys.publicKeyFile]);
    expect(routine.code).toBe(0);
    expect(routine.stdout).toMatch(/^chain intact from the signed checkpoint at seq 25 to the head/);
    expect(routine.stdout).toMatch(
      /re-hashed seq 25 to 30 \(6 records\); the records before seq 25 were not re-read/,
    );
    const full = await cli(['verify', '--db', file, '--public-key', keys.publicKeyFile, '--full']);
    expect(full.code).toBe(1);
    expect(full.stdout).toMatch(/^chain broken at seq 15 \(decision [^)]+\): modified\n/);
    expect(full.stdout).toMatch(/14 records checked before the break \(full: seq 1 to 14\)/);
  });

  it('finds a chain recomputed before the last checkpoint through the checkpoint it contradicts', async () => {
    const file = await signedLog();
    rewriteFrom(file, 12);
    expect(await verify(file, true)).toMatchObject({
      ok: false,
      problem: 'rewritten',
      first_bad: { seq: 11 },
      records_checked: 0,
      range: { mode: 'incremental', from_seq: null },
    });
  });

  it('walks the whole chain when no checkpoint is left to start from', async () => {
    const file = await signedLog();
    editRecord(file, 15);
    expect(await verify(file, true)).toMatchObject({ ok: true, range: { mode: 'incremental' } });
    tamper(file, 'DELETE FROM audit_checkpoints');
    const result = await verify(file, true);
    expect(result).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 15 },
      range: { mode: 'full', from_seq: 1, to_seq: 14, trusted_checkpoint: null },
    });
  });

  it('walks the whole chain without a public key, whatever is asked', async () => {
    const file = await signedLog();
    expect(await verify(file, true, null)).toMatchObject({
      ok: true,
      records: 30,
      checkpoints: null,
      range: { mode: 'full', from_seq: 1, to_seq: 30 },
    });
  });

  it('refuses a forged checkpoint placed to vouch for a rewritten tail', async () => {
    const file = await signedLog();
    rewriteFrom(file, 27);
    const head = headOf(file);
    // Signed by a key verify was not given, but claiming the real key's id.
    const forged = loadCheckpointSigner(otherKeys.privateKeyFile).sign(
      head.seq,
      head.hash,
      new Date().toISOString(),
    );
    tamper(
      file,
      'INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES (?, ?, ?, ?, ?)',
      forged.seq,
      forged.hash,
      forged.signed_at,
      loadCheckpointSigner(keys.privateKeyFile).keyId,
      forged.signature,
    );
    expect(await verify(file, true)).toMatchObject({
      ok: false,
      problem: 'bad_checkpoint_signature',
      first_bad: { seq: 30 },
    });
    // Without the forgery the rewrite after the last real checkpoint is a consistent chain: only the
    // incremental walk would vouch for it, as a full one would (the precondition of the test above).
    tamper(file, 'DELETE FROM audit_checkpoints WHERE seq = 30');
    expect(await verify(file, true)).toMatchObject({ ok: true, checkpoints: { unsigned_records: 5 } });
  });

  it('finds a record slipped in below the start of the chain, which the walk from a checkpoint never reads', async () => {
    const file = await signedLog();
    const db = new Database(file);
    const row = db.prepare('SELECT * FROM audit_records WHERE seq = 3').get() as Record<string, unknown>;
    // A copy of a real record under a new id at seq 0, hashed as the attacker can: queries show it.
    const record = { ...(JSON.parse(row.record as string) as object), decision_id: 'forged-at-zero' };
    const json = canonicalJson(record);
    db.prepare(
      `INSERT INTO audit_records (seq, decision_id, ts_ms, path, outcome, status, subject, issuer, actor, token_id,
       model, provider, operation, purpose, record, prev_hash, hash)
       SELECT 0, 'forged-at-zero', ts_ms, path, outcome, status, subject, issuer, actor, token_id, model, provider,
       operation, purpose, ?, ?, ? FROM audit_records WHERE seq = 3`,
    ).run(json, GENESIS_HASH, chainHash(GENESIS_HASH, 0, json));
    db.close();
    expect(await verify(file, true)).toMatchObject({
      ok: false,
      problem: 'inserted',
      first_bad: { seq: 0, decision_id: 'forged-at-zero' },
    });
  });

  it('refuses a checkpoint whose signature was altered', async () => {
    const file = await signedLog();
    tamper(
      file,
      `UPDATE audit_checkpoints SET signature = ? WHERE seq = 25`,
      Buffer.alloc(64, 7).toString('base64'),
    );
    expect(await verify(file, true)).toMatchObject({
      ok: false,
      problem: 'bad_checkpoint_signature',
      first_bad: { seq: 25 },
    });
  });
});
