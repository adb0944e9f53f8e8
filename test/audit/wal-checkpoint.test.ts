import { statSync } from 'node:fs';
import path from 'node:path';
import { auditMigrations } from '../../src/audit/audit-migrations';
import { openDatabase } from '../../src/audit/database';
import { SqliteAuditStore } from '../../src/audit/sqlite-audit-store';
import { waitFor } from '../helpers/wait-for';
import { appendMany, openStore, silentLogger, tempDir } from './audit-fixtures';

// SQLite's automatic WAL checkpoint runs inside the COMMIT that crosses 1000 pages; the store runs it from a
// timer after the commit instead, so no batch waits for it (see WAL_CHECKPOINT_MS).
describe('the audit WAL', () => {
  it('is not checkpointed by SQLite inside a commit, on the store’s connection, shared or its own', async () => {
    const db = openDatabase(path.join(tempDir(), 'shared.db'), [auditMigrations]);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const store = SqliteAuditStore.open({ database: db, logger: silentLogger });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await store.close();
    db.close();
  });

  it('is copied into the database soon after appends', async () => {
    const file = path.join(tempDir(), 'wal.db');
    const store = openStore(file);
    const empty = statSync(file).size;
    // Far more than 1000 pages of WAL. (How many commits carry them depends on the machine's speed, and a
    // checkpoint between two of them lets the WAL start over, so its size says nothing here.)
    await appendMany(store, 3000);
    await waitFor('the WAL checkpoint', () => statSync(file).size > 1000 * 4096, 5000);
    expect(statSync(file).size).toBeGreaterThan(empty);
    await store.close();
  });
});
