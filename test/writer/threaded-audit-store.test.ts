/**
 * The service's audit log: appends committed by the writer thread, reads on this thread. Real
 * worker thread, real SQLite file; the inline store's own tests (test/audit) cover chaining,
 * queries, tamper detection and write failures, which both share.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { auditMigrations, AuditRecordError, openDatabase, SqliteAuditStore } from '../../src/audit';
import { DEFAULT_RECORD_LIMITS } from '../../src/audit/bound-record';
import { ConfigError, ReasonCode, UnavailableError } from '../../src/errors';
import { usageMigrations } from '../../src/usage/usage-migrations';
import { ThreadedAuditStore } from '../../src/writer/threaded-audit-store';
import { WriterThread } from '../../src/writer/writer-client';
import { makeRecord, silentLogger, tempDir } from '../audit/audit-fixtures';

const dir = tempDir();
const preparation = { limits: DEFAULT_RECORD_LIMITS, redactionFormat: '[REDACTED:<class>]' };

async function openThreaded(name: string) {
  const path = join(dir, name);
  const db = openDatabase(path, [auditMigrations, usageMigrations]);
  const writer = await WriterThread.start({ path, synchronous: 'FULL', preparation }, silentLogger);
  const store = new ThreadedAuditStore(
    writer,
    SqliteAuditStore.open({ database: db, readonly: true, logger: silentLogger }),
  );
  return { path, db, writer, store };
}

function isStored(path: string, decisionId: string): boolean {
  const other = new Database(path, { readonly: true });
  try {
    return other.prepare('SELECT 1 FROM audit_records WHERE decision_id = ?').get(decisionId) !== undefined;
  } finally {
    other.close();
  }
}

describe('the audit log through the writer thread', () => {
  it('resolves each append only once its record is committed, and commits a burst in few transactions', async () => {
    const { path, db, store } = await openThreaded('burst.db');
    const records = Array.from({ length: 200 }, () => makeRecord());
    const seen = await Promise.all(
      records.map((record) => store.append(record).then(() => isStored(path, record.decision_id))),
    );
    expect(seen.every(Boolean)).toBe(true);
    const stats = store.stats();
    expect(stats.appended).toBe(200);
    expect(stats.commits).toBeLessThan(200);
    expect(await store.verify()).toMatchObject({ ok: true, records: 200 });
    expect((await store.get(records[7]!.decision_id))?.decision_id).toBe(records[7]!.decision_id);
    await store.close();
    db.close();
  });

  it('sends the next batch to the thread without waiting for the answer to the one it commits', async () => {
    const { db, writer, store } = await openThreaded('pipelined.db');
    const sent: number[] = [];
    const request = writer.request.bind(writer);
    writer.request = ((message: { op: string; records?: string[] }) => {
      if (message.op === 'append') sent.push(message.records!.length);
      return request(message as never);
    }) as typeof writer.request;
    // A large batch keeps the thread busy for a while (500 records, one fsync'd transaction).
    const first = Promise.all(Array.from({ length: 500 }, () => store.append(makeRecord())));
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    const second = store.append(makeRecord());
    await new Promise((resolve) => setImmediate(resolve));
    expect(firstDone).toBe(false);
    expect(sent).toEqual([500, 1]);
    expect(store.queueDepth).toBe(501);
    await Promise.all([first, second]);
    expect(store.queueDepth).toBe(0);
    await store.close();
    db.close();
  });

  it('reports each transaction to the commit metrics once, however many batches it took in', async () => {
    const { db, writer, store } = await openThreaded('metrics.db');
    const commits: { records: number; seconds: number }[] = [];
    writer.observeCommits((timing) => commits.push(timing));
    const appends = Array.from({ length: 500 }, () => store.append(makeRecord()));
    // Three more batches, one per turn, reach the thread while it still works on the first: they share a
    // transaction with it or with each other, so there are fewer transactions than the four batches.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      appends.push(store.append(makeRecord()));
    }
    await Promise.all(appends);
    expect(commits.reduce((sum, commit) => sum + commit.records, 0)).toBe(503);
    expect(commits.length).toBeLessThan(4);
    expect(commits).toHaveLength(store.stats().commits);
    expect(commits.every((commit) => commit.seconds > 0)).toBe(true);
    await store.close();
    db.close();
  });

  it('chains the records of batches sent while others are in flight in the order they were appended', async () => {
    const { path, db, store } = await openThreaded('order.db');
    const appended: string[] = [];
    const waves: Promise<void>[] = [];
    for (let wave = 0; wave < 8; wave++) {
      for (let i = 0; i < 25; i++) {
        const record = makeRecord();
        appended.push(record.decision_id);
        waves.push(store.append(record));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(waves);
    const stored = new Database(path, { readonly: true })
      .prepare('SELECT decision_id FROM audit_records ORDER BY seq')
      .all() as { decision_id: string }[];
    expect(stored.map((row) => row.decision_id)).toEqual(appended);
    expect(await store.verify()).toMatchObject({ ok: true, records: 200 });
    await store.close();
    db.close();
  });

  it('refuses just the bad record of a batch with the error the inline store gives, and keeps the rest', async () => {
    const { db, store } = await openThreaded('refused.db');
    const first = makeRecord();
    await store.append(first);
    const good = makeRecord();
    const results = await Promise.allSettled([
      store.append({ ...makeRecord(), decision_id: first.decision_id }),
      store.append({ ...makeRecord(), token_id: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }),
      store.append(good),
    ]);
    const [duplicate, withJwt, kept] = results;
    expect(duplicate).toMatchObject({ status: 'rejected' });
    expect((duplicate as PromiseRejectedResult).reason).toBeInstanceOf(AuditRecordError);
    expect((duplicate as PromiseRejectedResult).reason.message).toBe(
      `audit record refused: decision_id ${first.decision_id} is already recorded`,
    );
    expect((withJwt as PromiseRejectedResult).reason).toBeInstanceOf(AuditRecordError);
    expect((withJwt as PromiseRejectedResult).reason.message).toContain('token_id looks like a JWT');
    expect(kept.status).toBe('fulfilled');
    expect(await store.verify()).toMatchObject({ ok: true, records: 2 });
    await store.close();
    db.close();
  });

  it('fails only the record that cannot be serialised, never its batch (issue #13)', async () => {
    const { db, store } = await openThreaded('isolated.db');
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const records = Array.from({ length: 100 }, () => makeRecord());
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const hostile = [
      { ...makeRecord(), input: deep },
      { ...makeRecord(), result: cyclic },
    ];
    const results = await Promise.allSettled([
      ...records.slice(0, 50).map((record) => store.append(record)),
      ...hostile.map((record) => store.append(record)),
      ...records.slice(50).map((record) => store.append(record)),
    ]);
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.reason).toBeInstanceOf(AuditRecordError);
    expect(await store.verify()).toMatchObject({ ok: true, records: 100 });
    await store.close();
    db.close();
  });

  it("makes a decision's record storable on the thread: bounded, screened, and the changed columns answered", async () => {
    const { db, store } = await openThreaded('storable.db');
    const token = 'ghp_R8x2mQ9vT4kL7nB3wZ6yH1cF5dJ0sA2pE9uG';
    const secretModel = makeRecord({ model: `anthropic.claude-haiku:${token}` });
    secretModel.input = { ...(secretModel.input as object), context: { note: `deploy with ${token}` } };
    const longPath = `/v1/data/${'p'.repeat(600)}`;
    const longSubject = makeRecord({ subject: 's'.repeat(3000), path: longPath });
    const clean = makeRecord();
    const asGiven = makeRecord({ purpose: `built by modelgate ${token}` });

    const [model, subject, none] = await Promise.all([
      store.appendDecision(secretModel),
      store.appendDecision(longSubject),
      store.appendDecision(clean),
      store.append(asGiven),
    ]);

    expect(model).toEqual({ model: 'anthropic.claude-haiku:[REDACTED:github_token]' });
    expect(subject?.subject).toBe(`${'s'.repeat(256)}…`);
    // Every string column it cut comes back, the path too (the tracing span and the metrics read it).
    expect(subject?.path).toBe(`${longPath.slice(0, 256)}…`);
    expect(none).toBeUndefined();
    const stored = await store.get(secretModel.decision_id);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored?.model).toBe(model?.model);
    expect((await store.get(longSubject.decision_id))?.truncated?.subject?.bytes).toBe(3000);
    // Records modelgate builds whole (approval events, counted rejections) are stored as they are given.
    expect((await store.get(asGiven.decision_id))?.purpose).toBe(asGiven.purpose);
    expect(await store.verify()).toMatchObject({ ok: true, records: 4 });
    await store.close();
    db.close();
  });

  it('commits what is pending before close resolves, and refuses appends after it', async () => {
    const { path, db, writer, store } = await openThreaded('close.db');
    const records = Array.from({ length: 50 }, () => makeRecord());
    const appended = records.map((record) => store.append(record));
    await store.close();
    await Promise.all(appended);
    for (const record of records) expect(isStored(path, record.decision_id)).toBe(true);
    expect(store.open).toBe(false);
    await expect(store.append(makeRecord())).rejects.toMatchObject({ code: ReasonCode.AuditUnavailable });
    // The usage ledger holds the thread itself: its writes after close are refused, never left waiting.
    const report = {
      decision_id: records[0]!.decision_id,
      subject: 'svc',
      input_tokens: 1,
      output_tokens: 1,
      cost_usd: null,
      reported_ms: Date.now(),
      settles_exactly: 1 as const,
    };
    await expect(writer.insertReport(report)).rejects.toMatchObject({ code: ReasonCode.AuditUnavailable });
    db.close();
  });

  it('prunes through the writer thread and leaves a chain that verifies', async () => {
    const { db, store } = await openThreaded('prune.db');
    await store.append(makeRecord({ timestamp: '2026-01-01T00:00:00.000Z' }));
    await store.append(makeRecord({ timestamp: '2026-01-02T00:00:00.000Z' }));
    await store.append(makeRecord({ timestamp: '2026-03-01T00:00:00.000Z' }));
    expect(await store.prune({ before: '2026-02-01T00:00:00Z' })).toMatchObject({ deleted: 2 });
    expect(await store.verify()).toMatchObject({ ok: true, records: 1 });
    await store.close();
    db.close();
  });

  it('writes usage reports, and says when a decision was already reported', async () => {
    const { db, writer, store } = await openThreaded('reports.db');
    const row = {
      decision_id: 'd-1',
      subject: 'svc',
      input_tokens: 10,
      output_tokens: 20,
      cost_usd: null,
      reported_ms: Date.now(),
      settles_exactly: 1 as const,
    };
    expect(await writer.insertReport(row)).toBe(true);
    expect(await writer.insertReport({ ...row, input_tokens: 99 })).toBe(false);
    expect(db.prepare('SELECT input_tokens FROM usage_reports').all()).toEqual([{ input_tokens: 10 }]);
    await store.close();
    db.close();
  });

  it('fails closed when the thread dies: in-flight and later appends reject with audit_unavailable', async () => {
    const { path, db, writer, store } = await openThreaded('dies.db');
    await store.append(makeRecord());
    // What an uncaught error or an OOM in the thread amounts to; nothing in the API can cause it.
    const inFlight = store.append(makeRecord());
    await (writer as unknown as { worker: Worker }).worker.terminate();
    await expect(inFlight).rejects.toBeInstanceOf(UnavailableError);
    const later = store.append(makeRecord());
    await expect(later).rejects.toMatchObject({ code: ReasonCode.AuditUnavailable, status: 503 });
    expect(store.open).toBe(false);
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM audit_records').get()).toEqual({ n: 1 });
    reader.close();
    db.close();
  });

  it('refuses to start with the configuration error the thread met', async () => {
    const path = join(dir, 'bad-key.db');
    openDatabase(path, [auditMigrations, usageMigrations]).close();
    const start = WriterThread.start(
      { path, synchronous: 'FULL', checkpoint: { privateKeyFile: join(dir, 'missing.pem') }, preparation },
      silentLogger,
    );
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(/missing\.pem/);
  });
});
