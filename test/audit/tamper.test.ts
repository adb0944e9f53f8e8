import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  canonicalJson,
  chainHash,
  GENESIS_HASH,
  SqliteAuditStore,
  type AuditRecordV1,
} from '../../src/audit';
import { recordColumns } from '../../src/audit/record-columns';
import { appendMany, makeRecord, silentLogger, tamper, tempDir } from './audit-fixtures';

const dir = tempDir();
const pristine = join(dir, 'pristine.db');
let records: AuditRecordV1[];
let n = 0;

beforeAll(async () => {
  const store = SqliteAuditStore.open({ path: pristine, logger: silentLogger });
  records = await appendMany(store, 10, (i) => ({ reasons: i % 2 === 0 ? ['even'] : [] }));
  await store.close();
});

// A copy of the intact 10-record log, verified intact first so no test can pass on a log that was already broken.
async function copyOfLog(): Promise<string> {
  const file = join(dir, `tampered-${++n}.db`);
  copyFileSync(pristine, file);
  expect(await verify(file)).toMatchObject({ ok: true, records: 10 });
  return file;
}

async function verify(file: string) {
  const store = SqliteAuditStore.open({ path: file, logger: silentLogger, readonly: true });
  try {
    return await store.verify();
  } finally {
    await store.close();
  }
}

function hashAt(file: string, seq: number): string {
  const db = new Database(file, { readonly: true });
  const row = db.prepare('SELECT hash FROM audit_records WHERE seq = ?').get(seq) as { hash: string };
  db.close();
  return row.hash;
}

// Moves rows seq >= from by delta, as an attacker renumbering around an insert or a delete would.
function shift(file: string, from: number, delta: number): void {
  tamper(file, 'UPDATE audit_records SET seq = -seq WHERE seq >= ?', from);
  tamper(file, 'UPDATE audit_records SET seq = -seq + ? WHERE seq < 0', delta);
  tamper(file, 'UPDATE audit_reasons SET seq = -seq WHERE seq >= ?', from);
  tamper(file, 'UPDATE audit_reasons SET seq = -seq + ? WHERE seq < 0', delta);
}

function swap(file: string, a: number, b: number): void {
  for (const table of ['audit_records', 'audit_reasons']) {
    tamper(file, `UPDATE ${table} SET seq = -1 WHERE seq = ?`, a);
    tamper(file, `UPDATE ${table} SET seq = ? WHERE seq = ?`, a, b);
    tamper(file, `UPDATE ${table} SET seq = ? WHERE seq = -1`, b);
  }
}

// Writes a record at seq with a correctly computed hash: the attacker knows the algorithm.
function forge(
  file: string,
  seq: number,
  record: AuditRecordV1,
  prevHash: string,
  mode: 'INSERT' | 'REPLACE',
): void {
  const json = canonicalJson(record);
  const columns = recordColumns(record);
  const values = { ...columns, seq, record: json, prev_hash: prevHash, hash: chainHash(prevHash, seq, json) };
  const names = Object.keys(values);
  tamper(
    file,
    `INSERT OR ${mode === 'INSERT' ? 'ABORT' : 'REPLACE'} INTO audit_records (${names.join(',')}) VALUES (${names.map((k) => `@${k}`).join(',')})`,
    values,
  );
}

describe('verify locates tampering', () => {
  it('reports an UPDATE of one field of a record as modified at that record', async () => {
    const file = await copyOfLog();
    tamper(file, `UPDATE audit_records SET record = json_set(record, '$.outcome', 'denied') WHERE seq = 5`);
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 5, decision_id: records[4]!.decision_id },
      records_checked: 4,
    });
  });

  it('reports an UPDATE of only an index column as modified, naming the column', async () => {
    const file = await copyOfLog();
    tamper(file, `UPDATE audit_records SET subject = 'someone-else' WHERE seq = 3`);
    const result = await verify(file);
    expect(result).toMatchObject({ ok: false, problem: 'modified', first_bad: { seq: 3 } });
    expect(result.ok === false && result.message).toMatch(/column subject/);
  });

  it('reports a reason index row removed to hide a record from reason queries', async () => {
    const file = await copyOfLog();
    tamper(file, 'DELETE FROM audit_reasons WHERE seq = 7');
    expect(await verify(file)).toMatchObject({ ok: false, problem: 'modified', first_bad: { seq: 7 } });
  });

  it('reports a record rewritten with a recomputed hash as modified at that record', async () => {
    const file = await copyOfLog();
    forge(file, 5, { ...records[4]!, outcome: 'denied' }, hashAt(file, 4), 'REPLACE');
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'modified',
      first_bad: { seq: 5, decision_id: records[4]!.decision_id },
    });
  });

  it('reports a DELETE as deleted at the missing seq', async () => {
    const file = await copyOfLog();
    tamper(file, 'DELETE FROM audit_records WHERE seq = 5');
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'deleted',
      first_bad: { seq: 5, decision_id: null },
    });
  });

  it('reports a DELETE followed by renumbering as deleted at the renumbered seq', async () => {
    const file = await copyOfLog();
    tamper(file, 'DELETE FROM audit_records WHERE seq = 5');
    tamper(file, 'DELETE FROM audit_reasons WHERE seq = 5');
    shift(file, 6, -1);
    expect(await verify(file)).toMatchObject({ ok: false, problem: 'deleted', first_bad: { seq: 5 } });
  });

  it('reports an INSERT in the middle as inserted at the forged record', async () => {
    const file = await copyOfLog();
    shift(file, 5, 1);
    const forged = makeRecord({ subject: 'attacker' });
    forge(file, 5, forged, hashAt(file, 4), 'INSERT');
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'inserted',
      first_bad: { seq: 5, decision_id: forged.decision_id },
    });
  });

  it('reports a swap of two neighbouring records as reordered at the first of them', async () => {
    const file = await copyOfLog();
    swap(file, 5, 6);
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'reordered',
      first_bad: { seq: 5, decision_id: records[5]!.decision_id },
    });
  });

  it('reports a swap of two distant records as reordered at the first of them', async () => {
    const file = await copyOfLog();
    swap(file, 3, 8);
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'reordered',
      first_bad: { seq: 3, decision_id: records[7]!.decision_id },
    });
  });

  it('reports a record slipped in below seq 1 as inserted, though it hashes and chains like a first record', async () => {
    const file = await copyOfLog();
    const forged = makeRecord({ subject: 'attacker', outcome: 'denied' });
    // Queries and exports read every row, so a row the walk never reaches would be shown as evidence.
    forge(file, -1, forged, GENESIS_HASH, 'INSERT');
    const store = SqliteAuditStore.open({ path: file, logger: silentLogger, readonly: true });
    expect(await store.get(forged.decision_id)).toMatchObject({ seq: -1, subject: 'attacker' });
    await store.close();
    expect(await verify(file)).toMatchObject({
      ok: false,
      problem: 'inserted',
      first_bad: { seq: -1, decision_id: forged.decision_id },
    });
  });

  it.each([
    ['a JSON null', () => 'null'],
    [
      'its reasons not a list',
      (record: AuditRecordV1) => canonicalJson({ ...record, reasons: { length: 1 } }),
    ],
  ])(
    'reports a record rewritten as %s, its hash recomputed, as modified instead of throwing',
    async (_, rewrite) => {
      const file = await copyOfLog();
      const json = rewrite(records[4]!);
      tamper(
        file,
        'UPDATE audit_records SET record = ?, hash = ? WHERE seq = 5',
        json,
        chainHash(hashAt(file, 4), 5, json),
      );
      expect(await verify(file)).toMatchObject({
        ok: false,
        problem: 'modified',
        first_bad: { seq: 5, decision_id: records[4]!.decision_id },
      });
    },
  );

  it('reports a truncated tail that the reason index still remembers as deleted', async () => {
    const file = await copyOfLog();
    // seq 9 has reason "even" (i = 8); deleting it without its index row leaves a trace.
    tamper(file, 'DELETE FROM audit_records WHERE seq >= 9');
    expect(await verify(file)).toMatchObject({ ok: false, problem: 'deleted', first_bad: { seq: 9 } });
  });
});
