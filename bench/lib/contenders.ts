import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { BenchPolicy } from './bench-policy';
import { freePort } from './free-port';
import { startServer, type ServerProcess } from './server-process';
import { serviceNodeFlags } from './start-flags';
import { BENCH_AUDIENCE, BENCH_ISSUER, benchClaims } from './workload';

/** The RS256 issuer the benchmark's modelgate trusts. */
export interface BenchIssuer {
  privateKey: KeyObject;
  publicPem: string;
  /** Returns a fresh RS256 token for the benchmark identity, valid for `hours`. */
  token(hours?: number): string;
}

/** Returns a new RSA-2048 issuer key pair and its token minter. */
export function benchIssuer(): BenchIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    token: (hours = 24) => jwt.sign(benchClaims(hours), privateKey, { algorithm: 'RS256', keyid: 'bench' }),
  };
}

/** How to start one modelgate. */
export interface ModelgateOptions {
  /** Compiled CLI entry point (see build-dist.ts). */
  main: string;
  /** A folder of its own: config, PEM, database. */
  dir: string;
  name: string;
  policy: BenchPolicy;
  issuer: BenchIssuer;
  synchronous?: 'FULL' | 'NORMAL';
  /** Extra node flags, e.g. `--cpu-prof` or `--require <probe>`. */
  nodeArgs?: string[];
  /** Open an IPC channel (the memory probe reports through it). */
  ipc?: boolean;
  /** Further configuration keys, merged over the benchmark's. */
  config?: Record<string, unknown>;
}

/** Starts `node <npm start's flags> <main> serve` with a config of its own: RS256 issuer from a PEM, a fresh database, silent logs. */
export async function startModelgate(options: ModelgateOptions): Promise<ServerProcess> {
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(path.join(options.dir, 'issuer.pem'), options.issuer.publicPem);
  const port = await freePort();
  const config = {
    host: '127.0.0.1',
    port,
    db: path.join(options.dir, 'modelgate.db'),
    data_dir: path.join(options.dir, 'data'),
    bundle: options.policy.bundle,
    bundle_name: 'modelgate',
    log_level: 'silent',
    issuers: [
      {
        issuer: BENCH_ISSUER,
        audiences: [BENCH_AUDIENCE],
        algorithms: ['RS256'],
        public_key_file: 'issuer.pem',
      },
    ],
    audit: { synchronous: options.synchronous ?? 'FULL' },
    ...options.config,
  };
  const configFile = path.join(options.dir, 'modelgate.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, MODELGATE_CONFIG: configFile, NODE_ENV: 'production' };
  for (const key of [
    'PORT',
    'HOST',
    'MODELGATE_DB',
    'MODELGATE_DATABASE_URL',
    'MODELGATE_BUNDLE',
    'MODELGATE_DATA_DIR',
    'LOG_LEVEL',
  ]) {
    delete env[key];
  }
  return startServer({
    name: options.name,
    command: process.execPath,
    // As `npm start` runs it; flags passed here come after and win.
    args: [...serviceNodeFlags(), ...(options.nodeArgs ?? []), options.main, 'serve'],
    port,
    readyPath: '/ready',
    options: {
      env,
      cwd: options.dir,
      stdio: ['ignore', 'ignore', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    },
  });
}

/** Starts the pinned `opa run --server` on loopback with the same Rego and data, decision logging off. */
export async function startOpa(policy: BenchPolicy, dir: string): Promise<ServerProcess> {
  const port = await freePort();
  return startServer({
    name: 'opa',
    command: policy.opa,
    args: [
      'run',
      '--server',
      '--addr',
      `127.0.0.1:${port}`,
      '--log-level',
      'error',
      '--skip-version-check',
      '--set',
      'decision_logs.console=false',
      '--ignore',
      '*_test.rego',
      policy.regoDir,
    ],
    port,
    readyPath: '/health',
    options: { cwd: dir, env: { ...process.env } },
  });
}

// The smallest HTTP server node has: it reads the body and answers a fixed JSON document of the size
// of C's reply. Driven like the contenders, it shows the latency floor of this machine and harness.
const FLOOR_SERVER = `
const reply = JSON.stringify({ decision_id: '0'.repeat(36), result: { allow: true, reasons: [], obligations: [{ type: 'redact', classes: ['email', 'phone'] }, { type: 'cap_tokens', max_tokens: 2048 }] }, pad: 'x'.repeat(250) });
require('node:http').createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(reply));
    res.end(reply);
  });
}).listen(Number(process.argv[1]), '127.0.0.1');
`;

/** Starts a trivial node:http server (see FLOOR_SERVER) for the latency floor. */
export async function startFloorServer(): Promise<ServerProcess> {
  const port = await freePort();
  return startServer({
    name: 'floor',
    command: process.execPath,
    args: ['-e', FLOOR_SERVER, String(port)],
    port,
    readyPath: '/',
  });
}

/**
 * Starts the durable floor (durable-floor-server.js): a trivial node:http server that replies once the body
 * is committed to SQLite with an fsync, on a writer thread (`thread`) or on its event loop (`inline`).
 */
export async function startDurableFloorServer(
  dir: string,
  mode: 'thread' | 'inline',
  extras: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  return startServer({
    name: `durable-floor-${mode}`,
    command: process.execPath,
    args: [
      path.join(__dirname, 'durable-floor-server.js'),
      String(port),
      path.join(dir, 'floor.db'),
      mode,
      ...extras,
    ],
    port,
    readyPath: '/',
  });
}
