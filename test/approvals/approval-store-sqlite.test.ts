import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { approvalMigrations } from '../../src/approvals/approval-migrations';
import { SqliteApprovalStore } from '../../src/approvals/sqlite-approval-store';
import { openDatabase, type Db } from '../../src/audit/database';
import { approvalStoreContract } from './approval-store-contract';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-approval-store-'));
let n = 0;

approvalStoreContract('SqliteApprovalStore', () => {
  let db: Db | undefined;
  return {
    open: async () => {
      db = openDatabase(path.join(dir, `approvals-${++n}.db`), [approvalMigrations]);
      return new SqliteApprovalStore(db);
    },
    close: async () => {
      db?.close();
    },
  };
});
