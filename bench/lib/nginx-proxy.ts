import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnNginx } from '../../test/helpers/nginx';
import { freePort } from './free-port';

/** A running nginx reverse proxy with one listener per upstream group. */
export interface NginxProxy {
  /** The master process (its worker is a child). */
  pid: number;
  /** http://127.0.0.1:<port> of each group, in the order given. */
  urls: string[];
  /** Stops nginx (graceful, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in front of groups of upstream base URLs, with the proxy settings of the `scale` Compose
 * profile (deploy/nginx-scale.conf: least_conn, keep-alive to the upstreams, no retry of a POST).
 * One worker: on 2 cores a second one would only take CPU from the replicas it feeds. No access log.
 */
export async function startNginxProxy(groups: string[][]): Promise<NginxProxy> {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'mg-bench-nginx-'));
  mkdirSync(path.join(prefix, 'tmp'));
  const ports = await Promise.all(groups.map(() => freePort()));
  const servers = groups
    .map(
      (upstreams, i) => `
  upstream group${i} {
    least_conn;
${upstreams.map((u) => `    server ${new URL(u).host};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${ports[i]};
    client_max_body_size 2m;
    location / {
      proxy_pass http://group${i};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_next_upstream error timeout;
      proxy_read_timeout 30s;
    }
  }`,
    )
    .join('\n');
  // Killed with the benchmark if it dies before stop().
  const child = await spawnNginx(prefix, 1024, `  access_log off;\n${servers}`, ports);
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    pid: child.pid!,
    urls: ports.map((port) => `http://127.0.0.1:${port}`),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', kill);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
