/**
 * `modelgate audit verify` on logs the real server wrote, tampered with by hand. test/audit/tamper.test.ts
 * proves each classification at store level on synthetic records; this proves the same through the CLI,
 * once each, on records with real policy inputs, reasons and several identities.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson, chainHash, newDecisionId, type AuditRecordV1 } from '../../src/audit';
import { reasonRows, recordColumns } from '../../src/audit/record-columns';
import { forgeChain } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { startTestService, type TestService } from '../helpers/service';
import {
  codegenAllowed,
  codegenDenied,
  copyDatabase,
  strangerDenied,
  supportAllowed,
  tamper,
  withReader,
  type Call,
} from './e2e-fixtures';

const work = mkdtempSync(path.join(os.tmpdir(), 'mg-tamper-cli-'));
let copies = 0;
const serviceDirs: string[] = [];
afterAll(() => {
  for (const dir of [work, ...serviceDirs]) rmSync(dir, { recursive: true, force: true });
});

// Ten decisions, one at a time so that seq n is the n-th reply: allows, denies and a 401 rejection.
async function decideTen(svc: TestService): Promise<string[]> {
  const calls: (Call | null)[] = [
    codegenAllowed,
    supportAllowed,
    codegenDenied,
    strangerDenied,
    supportAllowed,
    codegenDenied,
    null,
    codegenAllowed,
    strangerDenied,
    supportAllowed,
  ];
  const ids: string[] = [];
  for (const call of calls) {
    const res = await svc.post(
      '/v1/decide',
      call?.body ?? supportAllowed.body,
      call && svc.token(call.claims),
    );
    ids.push(res.body.decision_id as string);
  }
  return ids;
}

function seqsAndIds(file: string): { seq: number; decision_id: string }[] {
  return withReader(file, (db) =>
    db.prepare('SELECT seq, decision_id FROM audit_records ORDER BY seq').all(),
  ) as {
    seq: number;
    decision_id: string;
  }[];
}

function recordAt(file: string, seq: number): { record: AuditRecordV1; hash: string } {
  return withReader(file, (db) => {
    const row = db.prepare('SELECT record, hash FROM audit_records WHERE seq = ?').get(seq) as {
      record: string;
      hash: string;
    };
    return { record: JSON.parse(row.record) as AuditRecordV1, hash: row.hash };
  });
}

const verify = (file: string, ...args: string[]) => runCli(['audit', 'verify', '--db', file, ...args]);

// Moves rows seq >= from by delta in both tables, as an attacker renumbering around an insert would.
function shift(file: string, from: number, delta: number): void {
  for (const table of ['audit_records', 'audit_reasons']) {
    tamper(file, `UPDATE ${table} SET seq = -seq WHERE seq >= ?`, from);
    tamper(file, `UPDATE ${table} SET seq = -seq + ? WHERE seq < 0`, delta);
  }
}

// Writes a record, its derived columns and its reason rows at seq, hashed correctly after prevHash.
function forge(file: string, seq: number, record: AuditRecordV1, prevHash: string): void {
  const json = canonicalJson(record);
  const columns = recordColumns(record);
  const values = { ...columns, seq, record: json, prev_hash: prevHash, hash: chainHash(prevHash, seq, json) };
  const names = Object.keys(values);
  tamper(
    file,
    `INSERT INTO audit_records (${names.join(',')}) VALUES (${names.map((k) => `@${k}`).join(',')})`,
    values,
  );
  for (const reason of reasonRows(record)) {
    tamper(
      file,
      'INSERT INTO audit_reasons (seq, reason, ts_ms) VALUES (?, ?, ?)',
      seq,
      reason,
      columns.ts_ms,
    );
  }
}

describe('modelgate audit verify on a log the server wrote', () => {
  let pristine: string;
  let ids: string[];
  beforeAll(async () => {
    const svc = await startTestService();
    try {
      ids = await decideTen(svc);
    } finally {
      await svc.close();
    }
    serviceDirs.push(svc.dir);
    pristine = svc.db;
  });

  // A fresh copy of the server's log, verified intact first so no test can pass on a log already broken.
  async function copyOfLog(): Promise<string> {
    const file = copyDatabase(pristine, path.join(work, `copy-${++copies}.db`));
    const result = await verify(file);
    expect(result.stdout).toMatch(/^10 records, chain intact, head [0-9a-f]{64}\n$/);
    expect(result.code).toBe(0);
    return file;
  }

  it('holds the ten decisions in reply order, with reasons indexed (the precondition)', () => {
    expect(seqsAndIds(pristine)).toEqual(ids.map((decision_id, i) => ({ seq: i + 1, decision_id })));
    const reasons = withReader(pristine, (db) =>
      db.prepare('SELECT count(*) AS n FROM audit_reasons').get(),
    ) as {
      n: number;
    };
    expect(reasons.n).toBeGreaterThan(0);
  });

  it('says "chain intact" and exits 0 on an untouched copy', async () => {
    await copyOfLog();
  });

  it('reports an UPDATE of one field as modified at that seq, exit 1', async () => {
    const file = await copyOfLog();
    tamper(file, `UPDATE audit_records SET record = json_set(record, '$.outcome', 'allowed') WHERE seq = 3`);
    const result = await verify(file);
    expect(result.stdout).toMatch(new RegExp(`^chain broken at seq 3 \\(decision ${ids[2]}\\): modified\\n`));
    expect(result.stdout).toMatch(/2 records checked before the break/);
    expect(result.code).toBe(1);
  });

  it('reports a DELETE as deleted at the missing seq, exit 1', async () => {
    const file = await copyOfLog();
    tamper(file, 'DELETE FROM audit_records WHERE seq = 5');
    const result = await verify(file);
    expect(result.stdout).toMatch(
      /^chain broken at seq 5: deleted\n {2}records are missing: seq 5 is not in the log\n/,
    );
    expect(result.code).toBe(1);
  });

  it('reports an INSERT in the middle as inserted at the forged record, exit 1', async () => {
    const file = await copyOfLog();
    // A well-formed, correctly hashed record: an allow for the stranger, slipped in after seq 4.
    const forged: AuditRecordV1 = {
      ...recordAt(file, 4).record,
      decision_id: newDecisionId(),
      outcome: 'allowed',
    };
    shift(file, 5, 1);
    forge(file, 5, forged, recordAt(file, 4).hash);
    const result = await verify(file);
    expect(result.stdout).toMatch(
      new RegExp(`^chain broken at seq 5 \\(decision ${forged.decision_id}\\): inserted\\n`),
    );
    expect(result.code).toBe(1);
  });

  it('reports a swap of two records as reordered at the first of them, exit 1', async () => {
    const file = await copyOfLog();
    for (const table of ['audit_records', 'audit_reasons']) {
      tamper(file, `UPDATE ${table} SET seq = -1 WHERE seq = 6`);
      tamper(file, `UPDATE ${table} SET seq = 6 WHERE seq = 7`);
      tamper(file, `UPDATE ${table} SET seq = 7 WHERE seq = -1`);
    }
    const result = await verify(file);
    expect(result.stdout).toMatch(
      new RegExp(`^chain broken at seq 6 \\(decision ${ids[6]}\\): reordered\\n`),
    );
    expect(result.code).toBe(1);
  });
});

// Recomputes every hash from genesis after turning one denial into an allow: what an attacker without the
// signing key can do, and what the hash chain alone cannot tell from the original.
function rewriteWholeChain(file: string, seqToFlip: number): void {
  forgeChain(file, (record, seq) => {
    if (seq === seqToFlip) record.outcome = 'allowed';
  });
}

describe('modelgate audit verify --public-key on a log the server signed', () => {
  let file: string;
  let ids: string[];
  let publicKey: string;
  beforeAll(async () => {
    const keyDir = path.join(work, 'keys');
    const keygen = await runCli(['audit', 'keygen', '--out', keyDir]);
    expect(keygen.code).toBe(0);
    publicKey = path.join(keyDir, 'audit-signing.pub.pem');
    const svc = await startTestService({
      audit: {
        synchronous: 'FULL',
        checkpoint: {
          privateKeyFile: path.join(keyDir, 'audit-signing.pem'),
          everyRecords: 4,
          everySeconds: 3600,
        },
      },
    });
    try {
      ids = await decideTen(svc);
    } finally {
      await svc.close();
    }
    serviceDirs.push(svc.dir);
    file = copyDatabase(svc.db, path.join(work, 'signed.db'));
  });

  it('verifies the checkpoints the server signed every 4 records and at shutdown (the precondition)', async () => {
    const result = await verify(file, '--public-key', publicKey, '--full');
    expect(result.stdout).toMatch(/^10 records, chain intact/);
    expect(result.stdout).toMatch(/full: re-hashed every record, seq 1 to 10\n/);
    expect(result.stdout).toMatch(/3 signed checkpoints verified, the last at seq 10\n/);
    expect(result.code).toBe(0);
  });

  it('verifies incrementally by default with a public key, from the last signed checkpoint', async () => {
    const result = await verify(file, '--public-key', publicKey);
    expect(result.stdout).toMatch(/^chain intact from the signed checkpoint at seq 10 to the head/);
    expect(result.stdout).toMatch(/incremental: re-hashed seq 10 to 10 \(1 records\)/);
    expect(result.stdout).toMatch(/3 signed checkpoints verified, the last at seq 10\n/);
    expect(result.code).toBe(0);
  });

  it('reports a consistent whole-chain rewrite as rewritten only with the public key', async () => {
    expect(recordAt(file, 3).record.outcome).toBe('denied');
    rewriteWholeChain(file, 3);
    const withoutKey = await verify(file);
    expect(withoutKey.stdout).toMatch(/^10 records, chain intact/);
    expect(withoutKey.code).toBe(0);

    const withKey = await verify(file, '--public-key', publicKey);
    expect(withKey.stdout).toMatch(
      new RegExp(`^chain broken at seq 1 \\(decision ${ids[0]}\\): rewritten\\n`),
    );
    expect(withKey.stdout).toMatch(/the chain was rewritten between seq 1 and 4/);
    expect(withKey.code).toBe(1);
  });
});
