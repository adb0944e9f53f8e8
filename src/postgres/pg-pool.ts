import { Pool, types, type PoolClient, type PoolConfig } from 'pg';
import type { Logger } from 'pino';

// int8 (bigint) comes back as a string by default; every bigint we store (seq, ts_ms) fits a double.
const INT8_OID = 20;
const typeParser: NonNullable<PoolConfig['types']> = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : types.getTypeParser(oid, format)) as never,
};

/** How to reach PostgreSQL. */
export interface PgPoolOptions {
  url: string;
  /** Connections of this process. Default 10. */
  max?: number;
  /** How long to wait for a connection before failing (and a decision fails closed). Default 2000. */
  connectTimeoutMs?: number;
  logger: Logger;
}

/**
 * Returns a pg Pool. A connection cut by the server (restart, failover) only emits `error` on the
 * idle client: it is logged and dropped, and the next query opens a fresh connection, so modelgate
 * reconnects without a restart.
 */
export function createPgPool(options: PgPoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000,
    types: typeParser,
    application_name: 'modelgate',
  });
  pool.on('error', (err) => {
    options.logger.warn({ err: { message: err.message } }, 'PostgreSQL connection lost; will reconnect');
  });
  return pool;
}

/** Returns the URL with its password replaced by ***, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * Runs `work` on a client of the pool and releases it. A connection that dies while the client is
 * checked out but idle between queries emits `error` on the client, which would end the process if
 * nobody listened; the listener turns it into a rejected query instead (the next one fails), and a
 * failed client is destroyed rather than handed out again.
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failed = false;
  const onError = () => {
    failed = true;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(failed);
  }
}
