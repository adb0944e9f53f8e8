import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  canonicalJson,
  chainHash,
  GENESIS_HASH,
  generateCheckpointKeys,
  SqliteAuditStore,
} from '../../src/audit';
import { ConfigError, ReasonCode, UnavailableError } from '../../src/errors';
import { appendMany, makeRecord, silentLogger, tamper, tempDir } from './audit-fixtures';

const dir = tempDir();
const keys = generateCheckpointKeys(join(dir, 'keys'));
const otherKeys = generateCheckpointKeys(join(dir, 'other-keys'));
const publicKey = readFileSync(keys.publicKeyFile, 'utf8');
const otherPublicKey = readFileSync(otherKeys.publicKeyFile, 'utf8');
let n = 0;

// A log of 25 records signed every 10: checkpoints at seq 10 and 20, and at 25 when the store closes.
async function signedLog(): Promise<string> {
  const file = join(dir, `signed-${++n}.db`);
  const store = SqliteAuditStore.open({
    path: file,
    logger: silentLogger,
    checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 10, everySeconds: 3600 },
  });
  for (let i = 0; i < 5; i++) await appendMany(store, 5);
  await store.close();
  return file;
}

async function verify(file: string, publicKeys?: string[]) {
  const store = SqliteAuditStore.open({ path: file, logger: silentLogger, readonly: true });
  try {
    return await store.verify({ publicKeys });
  } finally {
    await store.close();
  }
}

function checkpointSeqs(file: string): number[] {
  const db = new Database(file, { readonly: true });
  const seqs = (db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').all() as { seq: number }[]).map(
    (r) => r.seq,
  );
  db.close();
  return seqs;
}

// Recomputes every hash from genesis after changing one record: what an attacker without the key can do.
function rewriteWholeChain(file: string): void {
  const db = new Database(file);
  const rows = db.prepare('SELECT seq, record FROM audit_records ORDER BY seq').all() as {
    seq: number;
    record: string;
  }[];
  let prev = GENESIS_HASH;
  const update = db.prepare(
    'UPDATE audit_records SET record = ?, prev_hash = ?, hash = ?, outcome = ? WHERE seq = ?',
  );
  db.transaction(() => {
    for (const row of rows) {
      const record = JSON.parse(row.record) as { outcome: string };
      if (row.seq === 3) record.outcome = 'denied';
      const json = canonicalJson(record);
      const hash = chainHash(prev, row.seq, json);
      update.run(json, prev, hash, record.outcome, row.seq);
      prev = hash;
    }
  })();
  db.close();
}

describe('signed checkpoints', () => {
  it('signs the head every N records and at close', async () => {
    const file = await signedLog();
    expect(checkpointSeqs(file)).toEqual([10, 20, 25]);
    expect(await verify(file, [publicKey])).toEqual({
      ok: true,
      records: 25,
      head: expect.any(String),
      anchor: null,
      checkpoints: {
        verified: 3,
        last_seq: 25,
        unsigned_records: 0,
        // Whole, signature included: what a later verify is given as its witness.
        last: {
          seq: 25,
          hash: expect.any(String),
          signed_at: expect.any(String),
          key_id: expect.any(String),
          signature: expect.any(String),
        },
      },
      witness: null,
      range: { mode: 'full', from_seq: 1, to_seq: 25, trusted_checkpoint: null },
    });
  });

  it('signs the head after T seconds even when fewer than N records arrived', async () => {
    let now = Date.parse('2026-11-22T10:00:00Z');
    const store = SqliteAuditStore.open({
      path: join(dir, 'timed.db'),
      logger: silentLogger,
      now: () => now,
      checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 1000, everySeconds: 60 },
    });
    await appendMany(store, 3);
    expect(store.stats().checkpoints).toBe(0);
    now += 61_000;
    await appendMany(store, 1);
    expect(store.stats().checkpoints).toBe(1);
    await store.close();
  });

  it('does not detect a whole-chain rewrite without a public key (the precondition)', async () => {
    const file = await signedLog();
    rewriteWholeChain(file);
    expect(await verify(file)).toMatchObject({ ok: true, records: 25 });
  });

  it('detects a whole-chain rewrite with the public key, from the first unvouched record', async () => {
    const file = await signedLog();
    rewriteWholeChain(file);
    const result = await verify(file, [publicKey]);
    expect(result).toMatchObject({ ok: false, problem: 'rewritten', first_bad: { seq: 1 } });
    expect(result.ok === false && result.message).toMatch(/rewritten between seq 1 and 10/);
  });

  it('detects a checkpoint altered to match a rewritten chain by its signature', async () => {
    const file = await signedLog();
    rewriteWholeChain(file);
    const db = new Database(file);
    db.exec(
      'UPDATE audit_checkpoints SET hash = (SELECT hash FROM audit_records r WHERE r.seq = audit_checkpoints.seq)',
    );
    db.close();
    expect(await verify(file, [publicKey])).toMatchObject({
      ok: false,
      problem: 'bad_checkpoint_signature',
      first_bad: { seq: 10 },
    });
  });

  it('refuses checkpoints signed by a key it was not given', async () => {
    const file = await signedLog();
    expect(await verify(file, [otherPublicKey])).toMatchObject({
      ok: false,
      problem: 'bad_checkpoint_signature',
    });
    // With both keys (e.g. during a key rotation) the log verifies.
    expect(await verify(file, [otherPublicKey, publicKey])).toMatchObject({ ok: true });
  });

  it('detects a truncated tail that a signed checkpoint covers', async () => {
    const file = await signedLog();
    tamper(file, 'DELETE FROM audit_records WHERE seq > 22');
    tamper(file, 'DELETE FROM audit_reasons WHERE seq > 22');
    expect(await verify(file)).toMatchObject({ ok: true, records: 22 });
    expect(await verify(file, [publicKey])).toMatchObject({
      ok: false,
      problem: 'deleted',
      first_bad: { seq: 23 },
    });
  });

  it('reports records after the last checkpoint as unsigned', async () => {
    const file = join(dir, 'unsigned.db');
    const store = SqliteAuditStore.open({
      path: file,
      logger: silentLogger,
      checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 10, everySeconds: 3600 },
    });
    await appendMany(store, 14);
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
      ok: true,
      checkpoints: { verified: 1, last_seq: 14, unsigned_records: 0 },
    });
    await appendMany(store, 3);
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
      ok: true,
      checkpoints: { verified: 1, last_seq: 14, unsigned_records: 3 },
    });
    await store.close();
  });

  it('neither extends nor signs a chain rewritten under the open store: audit_unavailable instead', async () => {
    const file = join(dir, `rewritten-while-open-${++n}.db`);
    const store = SqliteAuditStore.open({
      path: file,
      logger: silentLogger,
      checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 1000, everySeconds: 3600 },
    });
    await appendMany(store, 5);
    expect(checkpointSeqs(file)).toEqual([]);
    // An attacker without the key rewrites the unsigned records while the service runs.
    rewriteWholeChain(file);
    const forged = await verify(file, [publicKey]);
    expect(forged).toMatchObject({ ok: true, checkpoints: { verified: 0, unsigned_records: 5 } });

    const refused = await store.append(makeRecord()).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UnavailableError);
    expect((refused as UnavailableError).code).toBe(ReasonCode.AuditUnavailable);
    expect((refused as Error).message).toContain('CHAIN_CHANGED');
    await store.close();
    // The close did not sign the forged head, and nothing was chained to it.
    expect(checkpointSeqs(file)).toEqual([]);
    expect(await verify(file, [publicKey])).toMatchObject({
      ok: true,
      head: (forged as { head: string }).head,
    });
  });

  it('refuses a signing key that is not Ed25519', () => {
    const pem = join(dir, 'not-a-key.pem');
    writeFileSync(pem, 'nonsense');
    expect(() =>
      SqliteAuditStore.open({
        path: join(dir, 'x.db'),
        logger: silentLogger,
        checkpoint: { privateKeyFile: pem },
      }),
    ).toThrow(ConfigError);
  });

  it('keygen refuses to overwrite an existing key pair', () => {
    expect(() => generateCheckpointKeys(join(dir, 'keys'))).toThrow(/already exists/);
  });
});
