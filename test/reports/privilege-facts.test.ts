import path from 'node:path';
import { auditMigrations } from '../../src/audit/audit-migrations';
import { canonicalJson } from '../../src/audit/canonical-json';
import { ChainWriter } from '../../src/audit/chain-writer';
import { openDatabase, type Db } from '../../src/audit/database';
import { reasonRows, recordColumns } from '../../src/audit/record-columns';
import { SqliteAuditStore } from '../../src/audit/sqlite-audit-store';
import { makeRecord, silentLogger, tempDir } from '../audit/audit-fixtures';

const facts = (db: Db) =>
  db
    .prepare('SELECT seq, subject, outcome, model, reasons FROM audit_privilege_facts ORDER BY seq')
    .all() as {
    seq: number;
    outcome: string;
    reasons: string | null;
  }[];

describe('audit_privilege_facts: what the privileges report reads, kept by SQLite', () => {
  it('backfills the decisions of a log recorded before migration 3', () => {
    const file = path.join(tempDir(), 'old.db');
    const before = { ...auditMigrations, migrations: auditMigrations.migrations.slice(0, 2) };
    const old = openDatabase(file, [before]);
    const records = [
      makeRecord(),
      makeRecord({ outcome: 'denied', reasons: ['model_not_allowed'] }),
      makeRecord({ outcome: 'rejected', status: 401, subject: null, input: null }),
    ];
    old.transaction(() =>
      new ChainWriter(old).append(
        records.map((r) => ({ json: canonicalJson(r), columns: recordColumns(r), reasons: reasonRows(r) })),
      ),
    )();
    expect(
      old.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'audit_privilege_facts'").get(),
    ).toEqual({
      n: 0,
    });
    old.close();

    const upgraded = openDatabase(file, [auditMigrations]);
    expect(facts(upgraded).map((f) => [f.seq, f.outcome, f.reasons])).toEqual([
      [1, 'allowed', null],
      [2, 'denied', '["model_not_allowed"]'],
    ]);
    upgraded.close();
  });

  it('follows appends and retention: a pruned decision takes its fact with it', async () => {
    const file = path.join(tempDir(), 'live.db');
    const store = SqliteAuditStore.open({ path: file, logger: silentLogger });
    const first = makeRecord({ timestamp: '2026-01-01T00:00:00.000Z' });
    await store.append(first);
    await store.append(makeRecord({ timestamp: '2026-02-01T00:00:00.000Z' }));
    const db = openDatabase(file, [auditMigrations], { readonly: true });
    expect(facts(db)).toHaveLength(2);
    await store.prune({ before: '2026-01-15' });
    expect(facts(db).map((f) => f.seq)).toEqual([2]);
    db.close();
    await store.close();
  });
});
