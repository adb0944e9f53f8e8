import { join } from 'node:path';
import { SqliteAuditStore } from '../../src/audit';
import { silentLogger, tamper, tempDir } from './audit-fixtures';
import { auditStoreContract } from './store-contract';

const dir = tempDir();
let n = 0;

auditStoreContract('SqliteAuditStore', () => {
  let file = '';
  return {
    open: async (options = {}) => {
      file = join(dir, `contract-${++n}.db`);
      return SqliteAuditStore.open({ path: file, logger: silentLogger, ...options });
    },
    tamper: async (sql) => tamper(file, sql),
  };
});
