import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUNDLE } from '../../src/config/load-config';
import { appendMany, openStore } from '../audit/audit-fixtures';
import { runCli } from '../helpers/cli';

// After `audit migrate`, the SQLite file stays where it was, and the service writes to PostgreSQL. replay and
// report read SQLite only: run with the service's configuration they read that file, and reported on the
// log as it was before the migration, with exit 0.
describe('replay and report with database.url (PostgreSQL) configured', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let stale: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-sqlite-only-'));
    const config = path.join(dir, 'modelgate.yaml');
    writeFileSync(config, 'database:\n  url: postgres://modelgate@127.0.0.1:1/modelgate\n');
    mkdirSync(path.join(dir, '.modelgate'));
    stale = path.join(dir, '.modelgate', 'modelgate.db');
    const store = openStore(stale);
    await appendMany(store, 3);
    await store.close();
    env = { MODELGATE_CONFIG: config };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['replay', ['replay', '--bundle', DEFAULT_BUNDLE, '--format', 'json']],
    ['report', ['report', 'privileges', '--format', 'json']],
  ])('%s refuses to read the SQLite file the service no longer writes, exit 1', async (command, argv) => {
    // The precondition: the stale file is readable, and given by --db on purpose it is read.
    expect((await runCli([...argv, '--db', stale], env)).code).toBe(0);
    const result = await runCli(argv, env);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `modelgate ${command}: ${command} reads an SQLite audit log and is not available with database.url ` +
        '(PostgreSQL) yet; give --db FILE to read an SQLite file on purpose\n',
    });
  });

  it.each([
    ['replay', '--bundle', DEFAULT_BUNDLE],
    ['report', 'privileges'],
  ])(
    '%s refuses a postgres:// --db as a usage error, instead of looking for a file of that name',
    async (...argv) => {
      const result = await runCli([...argv, '--db', 'postgres://modelgate@db/modelgate'], {});
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(
        `modelgate ${argv[0]}: --db takes an SQLite file: ${argv[0]} does not read PostgreSQL yet`,
      );
    },
  );
});
