import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommitQueue } from '../../src/audit/group-commit';
import { makeRecord, openStore, tempDir } from './audit-fixtures';

const dir = tempDir();

describe('group commit', () => {
  it('writes 100 concurrent appends in one transaction, each durable when its promise resolves', async () => {
    const file = join(dir, 'group.db');
    const store = openStore(file);
    expect(store.stats()).toMatchObject({ appended: 0, commits: 0 });
    const records = Array.from({ length: 100 }, () => makeRecord());
    const settled: string[] = [];
    await Promise.all(
      records.map((record) =>
        store.append(record).then(() => {
          // At the moment each promise settles, the record must already be readable by another process.
          const other = new Database(file, { readonly: true });
          const row = other
            .prepare('SELECT 1 FROM audit_records WHERE decision_id = ?')
            .get(record.decision_id);
          other.close();
          if (row) settled.push(record.decision_id);
        }),
      ),
    );
    expect(settled).toHaveLength(100);
    expect(store.stats()).toMatchObject({ appended: 100, commits: 1 });
    expect(await store.verify()).toMatchObject({ ok: true, records: 100 });
  });

  it('appends in later event-loop turns go into later transactions', async () => {
    const store = openStore(join(dir, 'turns.db'));
    await store.append(makeRecord());
    await store.append(makeRecord());
    expect(store.stats()).toMatchObject({ appended: 2, commits: 2 });
  });

  it('splits a burst larger than maxBatchSize into several transactions, keeping the chain in order', async () => {
    const store = openStore(join(dir, 'split.db'), { maxBatchSize: 30 });
    const records = Array.from({ length: 100 }, () => makeRecord());
    await Promise.all(records.map((r) => store.append(r)));
    expect(store.stats()).toMatchObject({ appended: 100, commits: 4 });
    const seqs = await Promise.all(records.map(async (r) => (await store.get(r.decision_id))!.seq));
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await store.verify()).ok).toBe(true);
  });

  it('close() commits appends still waiting for their turn', async () => {
    const file = join(dir, 'close.db');
    const store = openStore(file);
    const pending = Array.from({ length: 10 }, () => store.append(makeRecord()));
    await store.close();
    await Promise.all(pending);
    const other = new Database(file, { readonly: true });
    expect(other.prepare('SELECT count(*) AS n FROM audit_records').get()).toEqual({ n: 10 });
    other.close();
  });
});

describe('GroupCommitQueue', () => {
  it('settles each item with its own refusal and fails the whole batch when the commit throws', async () => {
    let fail = false;
    const batches: number[][] = [];
    const queue = new GroupCommitQueue<number>({
      maxBatch: 100,
      commit: (items) => {
        batches.push(items);
        if (fail) throw new Error('disk full');
        return items.map((i) => (i === 2 ? new Error('refused 2') : undefined));
      },
      failure: (err) => new Error(`batch failed: ${(err as Error).message}`),
    });
    const first = await Promise.allSettled([1, 2, 3].map((i) => queue.enqueue(i)));
    expect(batches).toEqual([[1, 2, 3]]);
    expect(first.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    fail = true;
    const second = await Promise.allSettled([4, 5].map((i) => queue.enqueue(i)));
    expect(second).toEqual([
      { status: 'rejected', reason: new Error('batch failed: disk full') },
      { status: 'rejected', reason: new Error('batch failed: disk full') },
    ]);
  });
});
