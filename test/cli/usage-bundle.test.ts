import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditMigrations } from '../../src/audit/audit-migrations';
import { openDatabase } from '../../src/audit/database';
import { DEFAULT_BUNDLE } from '../../src/config/load-config';
import { usageMigrations } from '../../src/usage/usage-migrations';
import { appendMany, openStore } from '../audit/audit-fixtures';
import { runCli } from '../helpers/cli';

// `usage --bundle` names the policy whose limits to show; a mistyped path answered "limits: none known to
// the policy", exit 0, as if that policy set no limits.
describe('modelgate usage --bundle', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-usage-bundle-'));
    db = path.join(dir, 'modelgate.db');
    const store = openStore(db);
    await appendMany(store, 2);
    await store.close();
    // What serve leaves: the usage tables beside the audit log's.
    openDatabase(db, [auditMigrations, usageMigrations]).close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const subject = 'spiffe://corp/ci/build-bot';

  it('shows the limits of a bundle that loads (the precondition)', async () => {
    const result = await runCli(['usage', '--subject', subject, '--db', db, '--bundle', DEFAULT_BUNDLE], {});
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^subject spiffe:\/\/corp\/ci\/build-bot\n/);
  });

  it('fails, naming the bundle, when the --bundle it was given cannot be loaded', async () => {
    const missing = path.join(dir, 'modelgate.tar.gz.typo');
    const result = await runCli(['usage', '--subject', subject, '--db', db, '--bundle', missing], {});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^modelgate usage: .*modelgate\.tar\.gz\.typo: cannot read the bundle \(ENOENT\)\n$/,
    );
  });

  it('says on stderr why limits are missing when the configured bundle cannot be loaded', async () => {
    const result = await runCli(['usage', '--subject', subject, '--db', db], {
      MODELGATE_BUNDLE: path.join(dir, 'gone.tar.gz'),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('limits: none known');
    expect(result.stderr).toMatch(
      /^modelgate usage: limits unknown: .*gone\.tar\.gz: cannot read the bundle/,
    );
  });
});
