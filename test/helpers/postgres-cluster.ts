import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..');

/** A throw-away PostgreSQL server: its own data directory, port and superuser, removed by destroy(). */
export interface PgCluster {
  /** postgres://… of the cluster's `postgres` database. */
  url: string;
  port: number;
  /** Returns the URL of a new, empty database on this cluster. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): void;
  /** Starts it again on the same port and data. */
  start(): void;
  /** Stops the server and removes its data directory. */
  destroy(): void;
  /** The server's main process (postmaster.pid), under which every backend and worker runs; null if stopped. */
  serverPid(): number | null;
}

let bindir: string | null | undefined;

/**
 * Returns the directory of initdb and pg_ctl, installing PostgreSQL when missing (as root), or null
 * when it genuinely cannot be had. Runs once per test file.
 */
export function postgresBinDir(): string | null {
  if (bindir !== undefined) return bindir;
  try {
    bindir = execFileSync(join(ROOT, 'scripts', 'ensure-postgres.sh'), { encoding: 'utf8' }).trim();
  } catch (err) {
    bindir = null;
    // Loud on purpose: a skipped backend must never look like a passing one.
    process.stderr.write(
      `\n*** POSTGRESQL TESTS SKIPPED: PostgreSQL could not be installed (${(err as Error).message.split('\n')[0]}) ***\n\n`,
    );
  }
  return bindir;
}
/**
 * Creates and starts a cluster in a temporary folder on a free loopback port. As root, initdb and
 * the server run as the `postgres` user: the server refuses to run as root.
 */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (command: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, command), args, { stdio: 'pipe' });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // Loopback only, the socket in our own folder (not /var/run/postgresql, which may not exist).
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let databases = 0;
  return {
    url,
    port,
    async createDatabase() {
      databases += 1;
      const name = `modelgate_test_${databases}`;
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    serverPid() {
      try {
        const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
      } catch {
        return null;
      }
    },
    destroy() {
      try {
        stop();
      } catch {
        // Already stopped: only the folder is left to remove.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
