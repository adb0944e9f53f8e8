import { Client } from 'pg';
import { silentLogger } from '../audit/audit-fixtures';
import { auditStoreContract } from '../audit/store-contract';
import { describeWithPostgres } from '../helpers/describe-postgres';
import { startPgCluster, type PgCluster } from '../helpers/postgres-cluster';
import { auditPgMigrations } from '../../src/postgres/audit-pg-migrations';
import { createPgPool } from '../../src/postgres/pg-pool';
import { migratePg } from '../../src/postgres/pg-migrations';
import { PostgresAuditStore } from '../../src/postgres/postgres-audit-store';
import type { Pool } from 'pg';

let cluster: PgCluster;
const pools: Pool[] = [];

describeWithPostgres('PostgresAuditStore on a real PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    for (const pool of pools) await pool.end();
    cluster?.destroy();
  });

  it('runs on a cluster this test started (the precondition of the suite below)', async () => {
    const client = new Client({ connectionString: cluster.url });
    await client.connect();
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    await client.end();
    expect(rows[0]!.v).toMatch(/^\d+/);
  });

  auditStoreContract('PostgresAuditStore', () => {
    let url = '';
    return {
      open: async (options = {}) => {
        url = await cluster.createDatabase();
        const pool = createPgPool({ url, logger: silentLogger });
        pools.push(pool);
        await migratePg(pool, [auditPgMigrations], silentLogger);
        return new PostgresAuditStore({ pool, logger: silentLogger, ...options });
      },
      tamper: async (sql) => {
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      },
    };
  });
});
