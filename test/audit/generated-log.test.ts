/**
 * The bench's audit-log generator (bench/audit-log-gen.ts) cuts corners while it writes (no journal,
 * no fsync, JSON.stringify for canonical JSON): what it leaves behind must still be a log the service
 * could have written. Proven here on a small log: the service's schema and WAL mode, and the real
 * `modelgate audit verify`, full and incremental, accepts it (and refuses it once a record is edited).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateAuditLog } from '../../bench/audit-log-gen';
import { SqliteAuditStore } from '../../src/audit';
import { runCli } from '../helpers/cli';
import { silentLogger, tamper, tempDir } from './audit-fixtures';

const dir = tempDir();
const file = join(dir, 'generated.db');
const RECORDS = 2500;

beforeAll(() => {
  generateAuditLog({
    file,
    records: RECORDS,
    subjects: 50,
    checkpointEvery: 1000,
    keyDir: join(dir, 'keys'),
    days: 2,
  });
});

const publicKey = join(dir, 'keys', 'audit-signing.pub.pem');
const verify = (db: string, ...args: string[]) =>
  runCli(['audit', 'verify', '--db', db, '--public-key', publicKey, ...args]);

function read<T>(db: string, work: (conn: Database.Database) => T): T {
  const conn = new Database(db, { readonly: true });
  try {
    return work(conn);
  } finally {
    conn.close();
  }
}

const schemaOf = (db: string) =>
  read(db, (conn) => ({
    objects: conn
      .prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name",
      )
      .all(),
    migrations: conn.prepare('SELECT component, version, name FROM modelgate_migrations ORDER BY 1, 2').all(),
    applicationId: conn.pragma('application_id', { simple: true }),
    journalMode: conn.pragma('journal_mode', { simple: true }),
  }));

describe('a log written by bench/audit-log-gen.ts', () => {
  it('holds every record and a checkpoint every 1000 records plus one at the end', () => {
    const counts = read(file, (conn) => ({
      records: conn.prepare('SELECT count(*) AS n FROM audit_records').pluck().get(),
      checkpoints: conn.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all(),
    }));
    expect(counts).toEqual({ records: RECORDS, checkpoints: [1000, 2000, RECORDS] });
  });

  it('has the schema, migrations and WAL mode of a log the service creates', async () => {
    const serviceFile = join(dir, 'service.db');
    const store = SqliteAuditStore.open({ path: serviceFile, logger: silentLogger });
    await store.close();
    const service = schemaOf(serviceFile);
    expect(service.journalMode).toBe('wal');
    expect(service.objects.length).toBeGreaterThan(10);
    expect(schemaOf(file)).toEqual(service);
  });

  it('has the privilege facts the schema trigger writes for each allowed or denied decision', () => {
    const { facts, decisions } = read(file, (conn) => ({
      facts: conn.prepare('SELECT count(*) FROM audit_privilege_facts').pluck().get() as number,
      decisions: conn
        .prepare(
          `SELECT count(*) FROM audit_records
           WHERE path = '/v1/decide' AND outcome IN ('allowed', 'denied') AND subject IS NOT NULL`,
        )
        .pluck()
        .get() as number,
    }));
    expect(decisions).toBeGreaterThan(RECORDS * 0.8);
    expect(facts).toBe(decisions);
  });

  it('passes `modelgate audit verify --full` and the default incremental verify', async () => {
    const full = await verify(file, '--full', '--json');
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ ok: true, records: RECORDS });
    const incremental = await verify(file);
    expect(incremental.code).toBe(0);
    expect(incremental.stdout).toMatch(/3 signed checkpoints verified, the last at seq 2500/);
  });

  it('fails `verify --full` once one of its records is edited', async () => {
    const copy = join(dir, 'edited.db');
    copyFileSync(file, copy);
    tamper(
      copy,
      'UPDATE audit_records SET record = replace(record, \'"latency_ms":1.2\', \'"latency_ms":9\') WHERE seq = 1234',
    );
    const result = await verify(copy, '--full', '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false });
    expect(result.stdout).toMatch(/1234/);
  });
});
