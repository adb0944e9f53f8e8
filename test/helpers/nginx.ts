/**
 * A real nginx serving a folder on 127.0.0.1:<free port>, configured only by a file in a temp folder:
 * the plain static server of OPA's bundle service API (nginx sends `ETag: "<mtime>-<size>"` and
 * answers a matching If-None-Match with 304 by default). Every request is logged with its status.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './child-service';

const root = path.resolve(__dirname, '..', '..');

/** A running nginx and its access log. */
export interface Nginx {
  url: string;
  /** `<status> <If-None-Match>` per request, oldest first. */
  log(): string[];
  stop(): Promise<void>;
}

/** Returns the nginx binary (installing Debian's nginx-light when missing, as CI does). */
export function nginxBinary(): string {
  return execFileSync(path.join(root, 'scripts', 'ensure-nginx.sh'), { encoding: 'utf8' }).trim();
}

/** Starts nginx serving `dir` (made world-readable: nginx workers run as an unprivileged user). */
export async function startNginx(dir: string): Promise<Nginx> {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'mg-nginx-'));
  mkdirSync(path.join(prefix, 'tmp'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const accessLog = path.join(prefix, 'access.log');
  writeFileSync(accessLog, '');
  const child = await spawnNginx(
    prefix,
    64,
    `  log_format status escape=none '$status $http_if_none_match';
  access_log ${accessLog} status;
  types { application/gzip gz; }
  server {
    listen 127.0.0.1:${port};
    root ${dir};
  }`,
    [port],
  );
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => readFileSync(accessLog, 'utf8').split('\n').filter(Boolean),
    stop: () => stopNginx(child),
  };
}

/**
 * Writes `prefix`/nginx.conf (one worker in the foreground, pid, error log and temp files in `prefix`, which must
 * hold a `tmp` folder) around the `http` block's own lines, starts nginx on it, and resolves once every one of
 * `ports` accepts connections (waitForNginx).
 */
export async function spawnNginx(
  prefix: string,
  workerConnections: number,
  http: string,
  ports: readonly number[],
): Promise<ChildProcess> {
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections ${workerConnections}; }
http {
  client_body_temp_path ${prefix}/tmp;
  proxy_temp_path ${prefix}/tmp;
  fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp;
  scgi_temp_path ${prefix}/tmp;
${http}
}
`,
  );
  const child: ChildProcess = spawn(nginxBinary(), ['-c', conf, '-p', prefix], { stdio: 'ignore' });
  await waitForNginx(child, ports, () => readFileSync(path.join(prefix, 'error.log'), 'utf8'));
  return child;
}

/** Resolves once every one of `ports` accepts connections; kills nginx and throws with its error log when it does not within 10 s. */
export async function waitForNginx(
  child: ChildProcess,
  ports: readonly number[],
  errorLog: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not start: ${errorLog()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Stops nginx gracefully (SIGQUIT: workers finish their requests) and resolves once it has exited. */
export function stopNginx(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGQUIT');
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
