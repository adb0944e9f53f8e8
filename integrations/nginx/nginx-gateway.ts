import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/helpers/child-service';
import { nginxBinary, stopNginx, waitForNginx } from '../../test/helpers/nginx';

const root = path.resolve(__dirname, '..', '..');
const CONFIG = path.join(__dirname, 'nginx.conf');
const MODULE = path.join(__dirname, 'modelgate.js');

/** A running nginx gateway. */
export interface NginxGateway {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The error log so far (njs errors and warnings land here). */
  errorLog(): string;
  stop(): Promise<void>;
}

/** Returns the njs module's path, installing Debian's pinned libnginx-mod-http-js (and nginx) when missing. */
export function njsModule(): string {
  return execFileSync(path.join(root, 'scripts', 'ensure-njs.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60 * 1000,
  }).trim();
}

/**
 * Returns the shipped nginx.conf with its DEPLOY lines, and only those, set for a test: logs and pid in `dir`,
 * listening on 127.0.0.1:`port`, modelgate at `modelgate` (host:port), the provider at `providerOrigin` with the
 * key `providerKey`. Throws when a line is not found exactly once, so the test cannot run a config it did not mean.
 */
export function gatewayConfig(parts: {
  dir: string;
  port: number;
  modelgate: string;
  providerOrigin: string;
  providerKey: string;
}): string {
  const edits: [string, string][] = [
    ['pid /run/nginx-modelgate-gateway.pid;', `pid ${parts.dir}/nginx.pid;`],
    ['error_log /var/log/nginx/modelgate-gateway.error.log warn;', `error_log ${parts.dir}/error.log info;`],
    ['access_log /var/log/nginx/modelgate-gateway.access.log;', `access_log ${parts.dir}/access.log;`],
    ['access_log /var/log/nginx/modelgate-gateway.usage.log;', `access_log ${parts.dir}/usage.log;`],
    ['server 127.0.0.1:8080;', `server ${parts.modelgate};`],
    ['listen 8443;', `listen 127.0.0.1:${parts.port};`],
    ['proxy_pass https://api.openai.com;', `proxy_pass ${parts.providerOrigin};`],
    ['"Bearer sk-REPLACE-WITH-THE-PROVIDER-KEY"', `"Bearer ${parts.providerKey}"`],
  ];
  let text = readFileSync(CONFIG, 'utf8');
  for (const [from, to] of edits) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`nginx.conf holds "${from}" ${count} times, not once`);
    text = text.replace(from, to);
  }
  return text;
}

/**
 * Starts a real nginx with njs on the shipped nginx.conf (see gatewayConfig) and a copy of modelgate.js beside it,
 * as docs/integrations.md deploys them, and resolves once it accepts connections.
 */
export async function startGateway(parts: {
  modelgate: string;
  providerOrigin: string;
  providerKey: string;
}): Promise<NginxGateway> {
  const module = njsModule();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-nginx-gateway-'));
  const port = await freePort();
  const config = gatewayConfig({ ...parts, dir, port });
  if (!config.includes(`load_module ${module};`)) throw new Error(`nginx.conf does not load ${module}`);
  writeFileSync(path.join(dir, 'nginx.conf'), config);
  copyFileSync(MODULE, path.join(dir, 'modelgate.js'));
  writeFileSync(path.join(dir, 'error.log'), '');
  // nginx finds modelgate.js beside the file -c names; its temp folders stay the system's (see nginx -V).
  const conf = path.join(dir, 'nginx.conf');
  const child = spawn(nginxBinary(), ['-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  const errorLog = () => readFileSync(path.join(dir, 'error.log'), 'utf8');
  await waitForNginx(child, [port], errorLog);
  return { url: `http://127.0.0.1:${port}`, errorLog, stop: () => stopNginx(child) };
}
