import { redactUrl } from '../../src/postgres/pg-pool';
import { runCli } from '../helpers/cli';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';

let cluster: PgCluster;

// `--db postgres://…` naming a database no modelgate ever wrote (a wrong database name, a replica not yet
// migrated): the reader logged the service's "decisions fail closed with 503 audit_unavailable" as a JSON line
// and then said "the audit log cannot be read (42P01)".
describeWithPostgres('audit commands on a PostgreSQL database that holds no audit log', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => cluster?.destroy());

  it.each([
    [['audit', 'verify'], 3, 'could not verify: '],
    [['audit', 'export', '--from', '2026-01-01', '--to', '2099-01-01', '--format', 'csv'], 1, ''],
    [['audit', 'lineage', 'some-decision-id'], 3, 'could not run: '],
    // It created the tables in the wrong database, pruned nothing and exited 0, as on SQLite.
    [['audit', 'prune', '--before', '2026-01-01'], 1, ''],
  ])('%j says so, names the database and creates nothing', async (argv, code, prefix) => {
    const url = await cluster.createDatabase();
    const shown = redactUrl(url);
    const result = await runCli([...argv, '--db', url], {});
    const command = argv.slice(0, 2).join(' ');
    expect(result).toEqual({
      code,
      stdout: '',
      stderr:
        `modelgate ${command}: ${prefix}--db: ${shown} holds no modelgate audit log (no modelgate_migrations ` +
        'table): check the database name; a new one gets its tables from modelgate serve or audit migrate\n',
    });
    const tables = await runCli(['audit', 'verify', '--db', url], {});
    expect(tables.code).toBe(3); // still nothing: a reader created no tables
  });
});
