import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCheckpointKeys, type SqliteAuditStore } from '../../src/audit';
import { makeRecord, openStore, tempDir } from './audit-fixtures';

const dir = tempDir();
const keys = generateCheckpointKeys(join(dir, 'keys'));
const publicKey = readFileSync(keys.publicKeyFile, 'utf8');
const day = (d: number) => new Date(Date.UTC(2026, 10, d)).toISOString();
let n = 0;

// Ten records a day on 1 to 5 November, signed every 7 records.
async function log(): Promise<SqliteAuditStore> {
  const store = openStore(join(dir, `prune-${++n}.db`), {
    checkpoint: { privateKeyFile: keys.privateKeyFile, everyRecords: 7, everySeconds: 3600 },
  });
  for (let d = 1; d <= 5; d++) {
    for (let i = 0; i < 10; i++)
      await store.append(makeRecord({ timestamp: new Date(Date.UTC(2026, 10, d, i)).toISOString() }));
  }
  expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({ ok: true, records: 50 });
  return store;
}

describe('prune', () => {
  it('deletes records older than the date and the rest still verifies from the anchor', async () => {
    const store = await log();
    const result = await store.prune({ before: day(3) });
    expect(result).toEqual({ deleted: 20, anchor: { seq: 20, hash: expect.any(String) } });
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
      ok: true,
      records: 30,
      anchor: { seq: 20, hash: result.anchor!.hash },
    });
    expect((await store.query({ limit: 500 })).records).toHaveLength(30);
  });

  it('keeps chaining from the anchor after a prune', async () => {
    const store = await log();
    await store.prune({ before: day(3) });
    await store.append(makeRecord({ timestamp: day(6) }));
    const page = await store.query({ limit: 1 });
    expect(page.records[0]!.seq).toBe(51);
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({ ok: true, records: 31 });
  });

  it('prunes nothing when nothing is older than the date', async () => {
    const store = await log();
    expect(await store.prune({ before: day(1) })).toEqual({ deleted: 0, anchor: null });
    expect(await store.verify()).toMatchObject({ ok: true, records: 50, anchor: null });
  });

  it('prunes everything, verifies the empty log, and continues the chain from the anchor', async () => {
    const store = await log();
    const result = await store.prune({ before: day(30) });
    expect(result.deleted).toBe(50);
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
      ok: true,
      records: 0,
      head: result.anchor!.hash,
    });
    await store.append(makeRecord({ timestamp: day(30) }));
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({ ok: true, records: 1 });
  });

  it('prunes twice, and a repeated prune with the same date deletes nothing more', async () => {
    const store = await log();
    expect((await store.prune({ before: day(2) })).deleted).toBe(10);
    expect((await store.prune({ before: day(4) })).deleted).toBe(20);
    expect(await store.prune({ before: day(4) })).toMatchObject({ deleted: 0, anchor: { seq: 30 } });
    expect(await store.verify({ publicKeys: [publicKey] })).toMatchObject({
      ok: true,
      records: 20,
      anchor: { seq: 30 },
    });
  });

  it('stops at the first record that is not old enough, rather than punching a hole in the chain', async () => {
    const store = openStore(join(dir, 'out-of-order.db'));
    // Committed in this order: an arrival time can be older than the record committed before it.
    for (const ts of [day(1), day(5), day(2), day(6)]) await store.append(makeRecord({ timestamp: ts }));
    expect(await store.prune({ before: day(3) })).toMatchObject({ deleted: 1, anchor: { seq: 1 } });
    expect(await store.verify()).toMatchObject({ ok: true, records: 3 });
  });

  it('refuses a date it cannot read', async () => {
    const store = await log();
    await expect(store.prune({ before: 'last tuesday' })).rejects.toMatchObject({ status: 400 });
  });
});
