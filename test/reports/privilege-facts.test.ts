import path from 'node:path';
import { auditMigrations, privilegeFactsOfRecords } from '../../src/audit/audit-migrations';
import { canonicalJson } from '../../src/audit/canonical-json';
import { ChainWriter } from '../../src/audit/chain-writer';
import { openDatabase, type Db } from '../../src/audit/database';
import { preparedRecord } from '../../src/audit/prepare-record';
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

describe('audit_privilege_facts: what the privileges report reads, kept with the records', () => {
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
      // As a writer of that version: no facts.
      new ChainWriter(old).append(
        records.map((r) => ({ ...preparedRecord(r, canonicalJson(r)), facts: null })),
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

  it('holds, for records of every kind, the rows the SQL of migration 3 computes from the hashed records', async () => {
    const file = path.join(tempDir(), 'kinds.db');
    const store = SqliteAuditStore.open({ path: file, logger: silentLogger });
    const invocation = { model: 'm', operation: 'tool_call', input_tokens: 300, max_tokens: 900 };
    const kinds = [
      makeRecord(),
      makeRecord({
        input: {
          invocation: { ...invocation, tools: [{ name: 'tickets.read', scope: 'x' }, { name: 'shell' }] },
          usage: { tokens_last_day: 12_000, requests_last_minute: 7 },
        },
      }),
      makeRecord({
        outcome: 'denied',
        reasons: ['tool_not_allowed', 'budget_exhausted'],
        input: { invocation },
      }),
      makeRecord({
        outcome: 'denied',
        reasons: [],
        max_tokens: null,
        input: { invocation: null, usage: null },
      }),
      // No input_tokens declared: the prompt counts a token per four characters of payload, as the policy does.
      makeRecord({
        input: {
          invocation: { model: 'm', max_tokens: 100 },
          payload: { chars: 4001 },
          usage: { tokens_last_day: 5 },
        },
      }),
      makeRecord({ outcome: 'rejected', status: 401, subject: null, input: null }),
      makeRecord({ path: '/v1/data/modelgate/decision' }),
      makeRecord({ outcome: 'denied', subject: null }),
      makeRecord({ outcome: 'rejected', status: 503, reasons: ['policy_error'] }),
    ];
    for (const record of kinds) await store.append(record);
    await store.close();
    const db = openDatabase(file, [auditMigrations], { readonly: true });
    // Written by the chain writer: no trigger writes them since migration 4.
    const trigger = "SELECT count(*) FROM sqlite_schema WHERE name = 'audit_privilege_facts_insert'";
    expect(db.prepare(trigger).pluck().get()).toBe(0);
    const written = db.prepare('SELECT * FROM audit_privilege_facts ORDER BY seq').all();
    const computed = db.prepare(`${privilegeFactsOfRecords()} ORDER BY 1`).raw().all();
    expect(written.map((row) => Object.values(row as object))).toEqual(computed);
    expect(written.map((row) => (row as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
    const payloadOnly = written[4] as { day_tokens: number };
    expect(payloadOnly.day_tokens).toBe(5 + 1001 + (kinds[4]!.max_tokens ?? 0));
    db.close();
  });

  it('computes again, at migration 5, the day_tokens of a log written before it counted the payload', () => {
    const file = path.join(tempDir(), 'v4.db');
    const v4 = { ...auditMigrations, migrations: auditMigrations.migrations.slice(0, 4) };
    const old = openDatabase(file, [v4]);
    const record = makeRecord({
      max_tokens: 100,
      input: {
        invocation: { model: 'm', max_tokens: 100 },
        payload: { chars: 4000 },
        usage: { tokens_last_day: 5 },
      },
    });
    // As a writer of version 4 wrote it: the declared input_tokens (none) and not the payload.
    const prepared = preparedRecord(record, canonicalJson(record));
    old.transaction(() =>
      new ChainWriter(old).append([{ ...prepared, facts: { ...prepared.facts!, day_tokens: 105 } }]),
    )();
    expect(old.prepare('SELECT day_tokens FROM audit_privilege_facts').pluck().get()).toBe(105);
    old.close();

    const upgraded = openDatabase(file, [auditMigrations]);
    expect(upgraded.prepare('SELECT day_tokens FROM audit_privilege_facts').pluck().get()).toBe(
      5 + 1000 + 100,
    );
    upgraded.close();
  });
});
