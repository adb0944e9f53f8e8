/**
 * A real modelgate in a process of its own: `modelgate serve` run from the TypeScript sources by tsx's
 * CommonJS hook, in the same process (so the pid is the server's, and SIGKILL or prlimit reach it),
 * configured by a MODELGATE_CONFIG file in a fresh temp folder. For tests that kill the server or take
 * resources away from it; everything else should use startTestService (in-process, port 0, faster).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Reply } from './service';
import { fetchReply, TEST_AUDIENCE, TEST_ISSUER } from './service';
import { generateRsaKeyPair, signToken, standardClaims, type TestKeyPair } from './tokens';

const root = path.resolve(__dirname, '..', '..');
const MAIN = path.join(root, 'src', 'cli', 'main.ts');
const READY_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;
// The service's own settings come from the config file only: overrides in the test's environment must not leak in.
const ENV_OVERRIDES = [
  'PORT',
  'HOST',
  'MODELGATE_DB',
  'MODELGATE_DATABASE_URL',
  'MODELGATE_BUNDLE',
  'MODELGATE_DATA_DIR',
  'LOG_LEVEL',
];

// A test that fails before its cleanup must not leave a server running after the jest worker is gone.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A modelgate child process on 127.0.0.1:<port>, its audit log in `db`. */
export interface ChildService {
  pid: number;
  url: string;
  dir: string;
  db: string;
  configFile: string;
  rsa: TestKeyPair;
  /** Resolves when the process has exited (whoever ended it). */
  exited: Promise<ChildExit>;
  /** Everything the process wrote to stdout and stderr so far (pino JSON lines at `logLevel`). */
  output(): string;
  /** Signs an RS256 token for the test issuer; claims override the standard ones. */
  token(claims?: Record<string, unknown>): string;
  post(route: string, body: unknown, token?: string | null): Promise<Reply>;
  get(route: string, token?: string | null): Promise<Reply>;
  /** SIGTERM (graceful: in-flight decisions finish, the database is closed), then waits for the exit. */
  stop(): Promise<ChildExit>;
}

/** What to start; `dir` reuses a folder (and its database, config and key) from an earlier child. */
export interface ChildServiceOptions {
  dir?: string;
  /** Default silent. */
  logLevel?: string;
  /** Extra top-level config keys (e.g. `audit`), merged over the generated ones. */
  config?: Record<string, unknown>;
  rsa?: TestKeyPair;
}

/** Starts `modelgate serve` as a child process and resolves once /ready answers 200. */
export async function startChildService(options: ChildServiceOptions = {}): Promise<ChildService> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'mg-child-'));
  const rsa = options.rsa ?? generateRsaKeyPair();
  writeFileSync(path.join(dir, 'rsa.pem'), rsa.publicPem);
  let lastError: Error | undefined;
  // The port is chosen before the child binds it: another process may take it meanwhile, so retry.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const configFile = writeConfig(dir, port, options);
    const child = spawnServe(dir, configFile);
    try {
      return await whenReady(child, { dir, rsa, port, configFile });
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw lastError ?? new Error('modelgate did not start');
}

/** How a `modelgate serve` that was expected not to start ended. */
export interface RefusedStart {
  exit: ChildExit;
  output: string;
  /** It answered /ready 200 (and was then killed): the start that should have been refused was not. */
  served: boolean;
}

/**
 * Runs `modelgate serve` in `dir` with the config of startChildService (its own file, so the first child's stays as
 * it is) on another port, and resolves when it exits; if it serves instead, it is killed and `served` is true.
 */
export async function serveExpectingRefusal(
  dir: string,
  options: ChildServiceOptions = {},
): Promise<RefusedStart> {
  const port = await freePort();
  const configFile = writeConfig(dir, port, options, 'modelgate-second.json');
  const child = spawnServe(dir, configFile);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  running.add(child);
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!done && Date.now() < deadline) {
    const ready = await fetch(`${url}/ready`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) {
      child.kill('SIGKILL');
      return { exit: await exited, output, served: true };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!done) child.kill('SIGKILL');
  return { exit: await exited, output, served: false };
}

/** Returns a TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function writeConfig(
  dir: string,
  port: number,
  options: ChildServiceOptions,
  name = 'modelgate.json',
): string {
  const file = path.join(dir, name);
  const config = {
    port,
    host: '127.0.0.1',
    db: 'modelgate.db',
    data_dir: 'data',
    log_level: options.logLevel ?? 'silent',
    issuers: [
      { issuer: TEST_ISSUER, audiences: [TEST_AUDIENCE], algorithms: ['RS256'], public_key_file: 'rsa.pem' },
    ],
    ...options.config,
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function spawnServe(dir: string, configFile: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, MODELGATE_CONFIG: configFile };
  for (const name of ENV_OVERRIDES) delete env[name];
  // tsx/cjs hooks require() in this very process; the tsx CLI would run the server in a grandchild.
  return spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), MAIN, 'serve'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function whenReady(
  child: ChildProcess,
  where: { dir: string; rsa: TestKeyPair; port: number; configFile: string },
): Promise<ChildService> {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let exit: ChildExit | undefined;
  running.add(child);
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const url = `http://127.0.0.1:${where.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exit) throw new Error(`modelgate exited (${JSON.stringify(exit)}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`modelgate was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    const ready = await fetch(`${url}/ready`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const auth = (token: string | null | undefined): Record<string, string> =>
    token ? { authorization: `Bearer ${token}` } : {};
  return {
    pid: child.pid!,
    url,
    dir: where.dir,
    db: path.join(where.dir, 'modelgate.db'),
    configFile: where.configFile,
    rsa: where.rsa,
    exited,
    output: () => output,
    token: (claims = {}) =>
      signToken({
        header: { alg: 'RS256', typ: 'JWT' },
        claims: standardClaims({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE }, claims),
        key: where.rsa.privateKey,
      }),
    post: (route, body, token) =>
      fetchReply(`${url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(token) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (route, token) => fetchReply(`${url}${route}`, { headers: auth(token) }),
    stop: async () => {
      if (!exit) child.kill('SIGTERM');
      return exited;
    },
  };
}
