import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditRecordError, GENESIS_HASH, type AuditRecordV1 } from '../../src/audit';
import { ReasonCode } from '../../src/errors';
import { appendMany, makeRecord, openStore, tempDir } from './audit-fixtures';

const dir = tempDir();

describe('SqliteAuditStore append and get', () => {
  const file = join(dir, 'append.db');
  const store = openStore(file);

  it('returns an appended record by decision id, with its place in the chain', async () => {
    const record = makeRecord({ reasons: ['budget_low'], outcome: 'denied', status: 403 });
    expect(await store.get(record.decision_id)).toBeNull();
    await store.append(record);
    const stored = await store.get(record.decision_id);
    expect(stored).toEqual({
      ...record,
      seq: 1,
      prev_hash: GENESIS_HASH,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('has committed the record when append resolves: another connection sees it', async () => {
    const record = makeRecord();
    await store.append(record);
    const other = new Database(file, { readonly: true });
    expect(
      other.prepare('SELECT seq FROM audit_records WHERE decision_id = ?').get(record.decision_id),
    ).toEqual({ seq: 2 });
    other.close();
  });

  it('chains each record to the previous one', async () => {
    const [a, b] = await appendMany(store, 2);
    const first = await store.get(a!.decision_id);
    const second = await store.get(b!.decision_id);
    expect(second!.seq).toBe(first!.seq + 1);
    expect(second!.prev_hash).toBe(first!.hash);
  });

  it('stores the record as it was at append time, not as the caller later changes it', async () => {
    const record = makeRecord({ reasons: ['original'] });
    const done = store.append(record);
    record.reasons.push('added-later');
    await done;
    expect((await store.get(record.decision_id))!.reasons).toEqual(['original']);
  });

  it('refuses a duplicate decision id without failing the other records of the same commit', async () => {
    const existing = makeRecord();
    await store.append(existing);
    const fine = makeRecord();
    const commits = store.stats().commits;
    const results = await Promise.allSettled([store.append({ ...existing }), store.append(fine)]);
    expect(store.stats().commits).toBe(commits + 1);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(AuditRecordError) });
    expect(results[1]).toEqual({ status: 'fulfilled', value: undefined });
    expect(await store.get(fine.decision_id)).not.toBeNull();
    expect((await store.verify()).ok).toBe(true);
  });
});

describe('SqliteAuditStore refuses records the log must never hold', () => {
  const store = openStore(join(dir, 'guard.db'));

  it('accepts the payload summary the pipeline builds', async () => {
    await expect(store.append(makeRecord())).resolves.toBeUndefined();
  });

  it('refuses raw payload text in input.payload, naming the key but not echoing the text', async () => {
    const input = {
      payload: { present: true, chars: 9, findings: {}, messages: [{ content: 'SECRET-TEXT' }] },
    };
    const error = await store.append(makeRecord({ input })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditRecordError);
    expect((error as AuditRecordError).code).toBe(ReasonCode.InternalError);
    expect((error as Error).message).toMatch(/found messages/);
    expect((error as Error).message).not.toMatch(/SECRET-TEXT/);
  });

  it('refuses a payload that is not a summary object', async () => {
    await expect(store.append(makeRecord({ input: { payload: 'the prompt itself' } }))).rejects.toThrow(
      /summary object/,
    );
  });

  it('refuses a token_id that is a JWT', async () => {
    const jwt = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`;
    await expect(store.append(makeRecord({ token_id: jwt }))).rejects.toThrow(/looks like a JWT/);
  });

  it('refuses malformed records with the place of the problem', async () => {
    const bad = { ...makeRecord(), outcome: 'maybe' } as unknown as AuditRecordV1;
    await expect(store.append(bad)).rejects.toThrow(/\/outcome/);
    const localTime = makeRecord({ timestamp: '2026-11-22T10:00:00+02:00' });
    await expect(store.append(localTime)).rejects.toThrow(/\/timestamp/);
    const extra = { ...makeRecord(), token: 'x' } as unknown as AuditRecordV1;
    await expect(store.append(extra)).rejects.toThrow(AuditRecordError);
  });

  it('stores nothing for refused records', async () => {
    const before = await store.query({ limit: 500 });
    await store.append(makeRecord({ input: { payload: { text: 'x' } } })).catch(() => undefined);
    expect((await store.query({ limit: 500 })).records).toHaveLength(before.records.length);
  });
});
