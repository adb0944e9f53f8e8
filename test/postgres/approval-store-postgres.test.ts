import type { Pool } from 'pg';
import { silentLogger } from '../audit/audit-fixtures';
import { approvalStoreContract } from '../approvals/approval-store-contract';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { approvalPgMigrations } from '../../src/postgres/approval-pg-migrations';
import { PgApprovalStore } from '../../src/postgres/pg-approval-store';
import { createPgPool } from '../../src/postgres/pg-pool';
import { migratePg } from '../../src/postgres/pg-migrations';

let cluster: PgCluster;

describeWithPostgres('PgApprovalStore on a real PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(() => {
    cluster?.destroy();
  });

  it('migrates the approvals table once, recorded as versions 1 to 3 (the precondition of the suite below)', async () => {
    const pool = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
    try {
      await migratePg(pool, [approvalPgMigrations], silentLogger);
      await migratePg(pool, [approvalPgMigrations], silentLogger);
      const { rows } = await pool.query<{ version: number }>(
        "SELECT version FROM modelgate_migrations WHERE component = 'approvals' ORDER BY version",
      );
      expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    } finally {
      await pool.end();
    }
  });

  approvalStoreContract('PgApprovalStore', () => {
    let pool: Pool | undefined;
    return {
      open: async () => {
        pool = createPgPool({ url: await cluster.createDatabase(), logger: silentLogger });
        await migratePg(pool, [approvalPgMigrations], silentLogger);
        return new PgApprovalStore(pool);
      },
      close: async () => pool?.end(),
    };
  });
});
