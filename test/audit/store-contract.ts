import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  AuditRecordError,
  generateCheckpointKeys,
  GENESIS_HASH,
  type AuditStore,
  type CheckpointOptions,
} from '../../src/audit';
import { makeRecord, tempDir } from './audit-fixtures';

/** A store under test, how to open another on the same log, and how an attacker edits the log. */
export interface ContractBackend {
  /** Opens a store on a fresh, empty log; it is closed by the suite. */
  open(options?: { checkpoint?: CheckpointOptions }): Promise<AuditStore>;
  /** Runs one SQL statement (valid in SQLite and PostgreSQL) on the log behind the last store opened. */
  tamper(sql: string): Promise<void>;
}

/**
 * The behaviour every AuditStore must have, whatever holds it: run against SQLite and PostgreSQL
 * (test/audit/store-contract-sqlite.test.ts, test/postgres/store-contract-postgres.test.ts).
 */
export function auditStoreContract(name: string, backend: () => ContractBackend): void {
  const dir = tempDir();
  const keys = generateCheckpointKeys(join(dir, 'keys'));
  const publicKey = readFileSync(keys.publicKeyFile, 'utf8');

  describe(`${name}: the AuditStore contract`, () => {
    let store: AuditStore;
    let b: ContractBackend;
    beforeEach(async () => {
      b = backend();
      store = await b.open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('returns an appended record by decision id, chained from genesis', async () => {
      const record = makeRecord({ reasons: ['budget_low'], outcome: 'denied', status: 403 });
      expect(await store.get(record.decision_id)).toBeNull();
      await store.append(record);
      expect(await store.get(record.decision_id)).toEqual({
        ...record,
        seq: 1,
        prev_hash: GENESIS_HASH,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    it('chains concurrent appends into one gapless sequence that verifies', async () => {
      const records = Array.from({ length: 40 }, () => makeRecord());
      await Promise.all(records.map((record) => store.append(record)));
      const stored = await Promise.all(records.map((record) => store.get(record.decision_id)));
      expect(stored.map((s) => s!.seq).sort((x, y) => x - y)).toEqual(records.map((_, i) => i + 1));
      expect(await store.verify()).toMatchObject({ ok: true, records: 40 });
    });

    it('refuses a duplicate decision id without failing the other records of its batch', async () => {
      const existing = makeRecord();
      await store.append(existing);
      const fine = makeRecord();
      const results = await Promise.allSettled([store.append({ ...existing }), store.append(fine)]);
      expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(AuditRecordError) });
      expect(results[1]).toEqual({ status: 'fulfilled', value: undefined });
      expect(await store.verify()).toMatchObject({ ok: true, records: 2 });
    });

    it('refuses raw payload text without storing anything', async () => {
      const input = { payload: { present: true, chars: 9, findings: {}, messages: [{ content: 'SECRET' }] } };
      await expect(store.append(makeRecord({ input }))).rejects.toThrow(AuditRecordError);
      expect((await store.query({})).records).toHaveLength(0);
    });

    it('pages through filtered queries newest first', async () => {
      for (let i = 0; i < 7; i++) {
        await store.append(makeRecord({ model: i % 2 === 0 ? 'm-even' : 'm-odd', reasons: ['r' + (i % 3)] }));
      }
      const first = await store.query({ model: 'm-even', limit: 3 });
      expect(first.records.map((r) => r.seq)).toEqual([7, 5, 3]);
      const second = await store.query({ model: 'm-even', limit: 3, cursor: first.next_cursor! });
      expect(second.records.map((r) => r.seq)).toEqual([1]);
      expect(second.next_cursor).toBeNull();
      expect((await store.query({ reason: 'r0' })).records.map((r) => r.seq)).toEqual([7, 4, 1]);
    });

    it('locates a modified record by its seq and decision id', async () => {
      const records = Array.from({ length: 5 }, () => makeRecord());
      for (const record of records) await store.append(record);
      expect((await store.verify()).ok).toBe(true);
      await b.tamper(`UPDATE audit_records SET record = replace(record, 'bedrock', 'azure') WHERE seq = 3`);
      expect(await store.verify()).toMatchObject({
        ok: false,
        problem: 'modified',
        first_bad: { seq: 3, decision_id: records[2]!.decision_id },
      });
    });

    it('detects a deleted record', async () => {
      for (let i = 0; i < 5; i++) await store.append(makeRecord());
      expect((await store.verify()).ok).toBe(true);
      await b.tamper('DELETE FROM audit_records WHERE seq = 2');
      expect(await store.verify()).toMatchObject({ ok: false, problem: 'deleted', first_bad: { seq: 2 } });
    });

    it('prunes a prefix and still verifies from the anchor', async () => {
      const old = makeRecord({ timestamp: '2020-01-01T00:00:00.000Z' });
      await store.append(old);
      await store.append(makeRecord());
      const result = await store.prune({ before: '2021-01-01T00:00:00Z' });
      expect(result).toMatchObject({ deleted: 1, anchor: { seq: 1 } });
      expect(await store.get(old.decision_id)).toBeNull();
      await store.append(makeRecord());
      expect(await store.verify()).toMatchObject({ ok: true, records: 2, anchor: { seq: 1 } });
    });

    it('exports every record oldest first', async () => {
      for (let i = 0; i < 3; i++) await store.append(makeRecord());
      let text = '';
      const out = new Writable({
        write(chunk: Buffer, _encoding, done) {
          text += chunk.toString();
          done();
        },
      });
      expect(await store.exportRecords({ format: 'jsonl' }, out)).toEqual({ records: 3 });
      expect(text.trim().split('\n')).toHaveLength(3);
    });

    it('signs checkpoints that verify, and detects a truncated tail through them', async () => {
      await store.close();
      store = await b.open({
        checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 3, everySeconds: 3600 },
      });
      for (let i = 0; i < 7; i++) await store.append(makeRecord());
      expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
        ok: true,
        checkpoints: { verified: 2, last_seq: 6, unsigned_records: 1 },
      });
      await b.tamper('DELETE FROM audit_records WHERE seq >= 5');
      expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
        ok: false,
        problem: 'deleted',
        first_bad: { seq: 5 },
      });
    });
  });
}
