import { copyFileSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BundleErrorCode, ReasonCode } from '../../src/errors';
import { createServer, type RequestListener } from 'node:http';
import pino from 'pino';
import { ActiveBundle, type BundleStatus } from '../../src/policy/active-bundle';
import { HttpBundleSource } from '../../src/policy/http-bundle-source';
import { loadVerificationKeys } from '../../src/policy/verification-keys';
import type { HttpSourceConfig, PolicyBundleConfig } from '../../src/policy/bundle-config';
import { auditRow } from '../helpers/audit-db';
import { startBundleServer, type BundleServer } from '../helpers/bundle-server';
import {
  opaBuildBundle,
  rewriteBundle,
  writeKeyPair,
  writePolicySources,
  type KeyFiles,
} from '../helpers/bundles';
import { startTestService, type TestService } from '../helpers/service';

const TOKEN = 'bundle-server-token';
const INVOCATION = { invocation: { model: 'anthropic.claude-sonnet', operation: 'chat' } };

let dir: string;
let serveDir: string;
let key: KeyFiles;
let bundleR1: string;
let bundleR2: string;
let tampered: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bundle-server-'));
  serveDir = mkdtempSync(path.join(os.tmpdir(), 'mg-served-'));
  key = writeKeyPair(dir, 'ci');
  const sources = writePolicySources();
  const signing = { key: key.privateKeyFile };
  bundleR1 = opaBuildBundle(sources, path.join(dir, 'r1.tar.gz'), { revision: 'r1', signing });
  bundleR2 = opaBuildBundle(sources, path.join(dir, 'r2.tar.gz'), { revision: 'r2', signing });
  tampered = await rewriteBundle(bundleR2, path.join(dir, 'tampered.tar.gz'), (files) => {
    files.set('data.json', Buffer.from('{"modelgate": {"tag": "evil"}}'));
  });
});

/** Publishes a bundle the way a pipeline should: copy beside, then rename over. */
function publish(bundle: string): void {
  const target = path.join(serveDir, 'modelgate.tar.gz');
  copyFileSync(bundle, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
}

function httpSource(server: BundleServer, overrides: Partial<HttpSourceConfig> = {}): PolicyBundleConfig {
  return {
    name: 'modelgate',
    signing: { required: true, keyId: 'ci', excludeFiles: [] },
    source: {
      kind: 'http',
      service: 'bundles',
      url: server.url,
      resource: 'modelgate.tar.gz',
      bearer: { scheme: 'Bearer', token: TOKEN },
      responseHeaderTimeoutSeconds: 5,
      polling: { minDelaySeconds: 0.2, maxDelaySeconds: 0.4 },
      persist: true,
      persistDir: path.join(dir, 'data', 'bundles', 'modelgate'),
      ...overrides,
    },
  };
}

function start(
  server: BundleServer,
  overrides: Partial<HttpSourceConfig> = {},
  dataDir = path.join(dir, 'data'),
) {
  return startTestService({
    dataDir,
    policyBundle: httpSource(server, {
      persistDir: path.join(dataDir, 'bundles', 'modelgate'),
      ...overrides,
    }),
    keys: { ci: { algorithm: 'RS256', key_file: key.publicKeyFile } },
  });
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A source polling a bare server of the test's own (`answer`), into an ActiveBundle of its own. */
async function sourceAgainst(
  answer: RequestListener,
  options: {
    service: string;
    polling: HttpSourceConfig['polling'];
    trust?: Pick<ConstructorParameters<typeof ActiveBundle>[0], 'signing' | 'keys'>;
    random?: () => number;
  },
): Promise<{ active: ActiveBundle; source: HttpBundleSource; close(): Promise<void> }> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const logger = pino({ level: 'silent' });
  const active = new ActiveBundle({
    name: 'modelgate',
    source: 'test',
    entrypoint: 'modelgate/decision',
    keys: new Map(),
    ...options.trust,
    logger,
  });
  const source = new HttpBundleSource(
    active,
    {
      kind: 'http',
      service: options.service,
      url: `http://127.0.0.1:${port}`,
      resource: 'modelgate.tar.gz',
      responseHeaderTimeoutSeconds: 2,
      polling: options.polling,
      persist: false,
      persistDir: path.join(dir, 'unused'),
    },
    { logger, random: options.random },
  );
  const close = async () => {
    await source.stop();
    await new Promise((resolve) => server.close(resolve));
  };
  return { active, source, close };
}

async function revisionOf(service: TestService): Promise<unknown> {
  const reply = await service.post('/v1/decide', INVOCATION, service.token());
  return (reply.body.policy as { revision?: string } | undefined)?.revision;
}

async function bundleStatus(service: TestService) {
  const reply = await service.get('/v1/status', service.token({ scope: 'modelgate:operate' }));
  expect(reply.status).toBe(200);
  return (reply.body.bundles as BundleStatus[])[0]!;
}

describe('a bundle server (plain static HTTP: ETag, 304, bearer token)', () => {
  let server: BundleServer;
  let service: TestService;

  beforeAll(async () => {
    publish(bundleR1);
    server = await startBundleServer(serveDir, { token: TOKEN });
    service = await start(server);
  });
  afterAll(async () => {
    await service?.close();
    await server?.close();
  });

  it('downloads and activates the signed bundle, sending the bearer token', async () => {
    expect(await revisionOf(service)).toBe('r1');
    const first = server.requests[0]!;
    expect(first).toMatchObject({ path: '/modelgate.tar.gz', status: 200 });
    expect(first.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(first.headers['if-none-match']).toBeUndefined();
    const status = await bundleStatus(service);
    expect(status).toMatchObject({
      name: 'modelgate',
      source: `${server.url}/modelgate.tar.gz`,
      active: { revision: 'r1', key_id: 'ci', origin: `${server.url}/modelgate.tar.gz` },
      last_error: null,
    });
    expect(status.active!.etag).toMatch(/^"[0-9a-f]{16}"$/);
  });

  it('polls with If-None-Match and gets 304 while the bundle is unchanged', async () => {
    await waitFor('two 304s', () => server.requests.filter((r) => r.status === 304).length >= 2);
    const etag = (await bundleStatus(service)).active!.etag;
    const notModified = server.requests.filter((r) => r.status === 304);
    expect(notModified.every((r) => r.headers['if-none-match'] === etag)).toBe(true);
    expect(String(notModified[0]!.headers.prefer)).toBe('modes=snapshot');
    expect(await revisionOf(service)).toBe('r1');
  });

  it('activates a new revision once it is published', async () => {
    publish(bundleR2);
    await waitFor('r2 in force', async () => (await revisionOf(service)) === 'r2');
    expect((await bundleStatus(service)).active).toMatchObject({ revision: 'r2', key_id: 'ci' });
  });

  it('refuses a tampered bundle, keeps r2 in force and reports bundle_digest_mismatch', async () => {
    publish(tampered);
    const status = await waitFor('the refusal', async () => {
      const s = await bundleStatus(service);
      return s.last_error ? s : undefined;
    });
    expect(status.last_error).toMatchObject({ code: BundleErrorCode.DigestMismatch });
    expect(status.active!.revision).toBe('r2');
    expect(await revisionOf(service)).toBe('r2');
    publish(bundleR2);
    await waitFor('the error cleared', async () => (await bundleStatus(service)).last_error === null);
  });

  it('GET /v1/status needs the operator or auditor scope, and records the refusal', async () => {
    const denied = await service.get('/v1/status', service.token({ scope: 'invoke:chat' }));
    expect(denied.status).toBe(403);
    expect(denied.body.reasons).toEqual([expect.objectContaining({ code: ReasonCode.ScopeMissing })]);
    expect(auditRow(service.db, denied.body.decision_id as string)).toMatchObject({
      status: 403,
      path: '/v1/status',
    });
    const auditor = await service.get('/v1/status', service.token({ scope: 'modelgate:audit' }));
    expect(auditor.status).toBe(200);
  });

  it('after a restart with the server down, serves the persisted last good bundle', async () => {
    await service.close();
    await server.close();
    const restarted = await start(server);
    try {
      expect(await revisionOf(restarted)).toBe('r2');
      const status = await bundleStatus(restarted);
      expect(status.active).toMatchObject({
        revision: 'r2',
        key_id: 'ci',
        origin: expect.stringMatching(/^persisted:/),
      });
      expect(status.last_error).toMatchObject({ code: BundleErrorCode.DownloadFailed });
    } finally {
      await restarted.close();
    }
  });
});

describe('without a usable bundle', () => {
  it('a wrong token: not ready, decisions denied with policy_unavailable, status says bundle_download_failed', async () => {
    publish(bundleR1);
    const server = await startBundleServer(serveDir, { token: TOKEN });
    const service = await start(
      server,
      { bearer: { scheme: 'Bearer', token: 'wrong' } },
      mkdtempSync(path.join(dir, 'd-')),
    );
    try {
      expect(server.requests[0]).toMatchObject({ status: 401 });
      expect((await fetch(`${service.url}/ready`)).status).toBe(503);
      const reply = await service.post('/v1/decide', INVOCATION, service.token());
      expect(reply.status).toBe(503);
      expect(reply.body.reasons).toEqual([expect.objectContaining({ code: ReasonCode.PolicyUnavailable })]);
      const status = await bundleStatus(service);
      expect(status.active).toBeNull();
      expect(status.last_error).toMatchObject({
        code: BundleErrorCode.DownloadFailed,
        message: expect.stringMatching(/401/),
      });
    } finally {
      await service.close();
      await server.close();
    }
  });
});

describe('long polling (OPA bundle service with application/vnd.openpolicyagent.bundles)', () => {
  it('asks with Prefer: wait=N and activates an update at once, far sooner than the polling delay', async () => {
    publish(bundleR1);
    const server = await startBundleServer(serveDir, { token: TOKEN, longPoll: true });
    const service = await start(
      server,
      { polling: { minDelaySeconds: 60, maxDelaySeconds: 60, longPollingTimeoutSeconds: 5 } },
      mkdtempSync(path.join(dir, 'd-')),
    );
    try {
      expect(await revisionOf(service)).toBe('r1');
      // The first answer announced long polling: the next request is already waiting at the server.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const published = Date.now();
      publish(bundleR2);
      await waitFor('r2 by long poll', async () => (await revisionOf(service)) === 'r2', 5_000);
      expect(Date.now() - published).toBeLessThan(5_000);
      const waiting = server.requests.find((r) => r.status === 200 && r.headers['if-none-match']);
      expect(String(waiting?.headers.prefer)).toBe('modes=snapshot;wait=5');
    } finally {
      await service.close();
      await server.close();
    }
  });
});

describe('backoff on errors', () => {
  it('waits 100, 200, 400 ms, then max_delay (600 ms), between failing requests (jitter fixed at its middle)', async () => {
    const times: number[] = [];
    const { active, source, close } = await sourceAgainst(
      (_req, res) => {
        times.push(Date.now());
        res.writeHead(500).end();
      },
      { service: 'down', polling: { minDelaySeconds: 0.05, maxDelaySeconds: 0.6 }, random: () => 0.5 },
    );
    try {
      await source.start();
      await waitFor('six requests', () => times.length >= 6, 10_000);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // Expected: 100, 200, 400, then capped at 600; scheduling may add a little, never subtract.
      expect(gaps[0]).toBeGreaterThanOrEqual(95);
      expect(gaps[1]).toBeGreaterThanOrEqual(195);
      expect(gaps[2]).toBeGreaterThanOrEqual(395);
      expect(gaps[3]).toBeGreaterThanOrEqual(595);
      expect(gaps[4]).toBeLessThan(1_500);
      expect(active.status().last_error).toMatchObject({ code: BundleErrorCode.DownloadFailed });
    } finally {
      await close();
    }
  });
});

describe('a server that answers 304 to a request without If-None-Match', () => {
  it('is an error: with no bundle in force, a 304 cannot mean "unchanged", and the status must not look healthy', async () => {
    const asked: (string | undefined)[] = [];
    const { active, source, close } = await sourceAgainst(
      (req, res) => {
        asked.push(req.headers['if-none-match']);
        res.writeHead(304).end();
      },
      { service: 'lying', polling: { minDelaySeconds: 60, maxDelaySeconds: 60 } },
    );
    try {
      await source.start();
      expect(asked[0]).toBeUndefined();
      expect(active.current()).toBeUndefined();
      expect(active.status().last_error).toMatchObject({ code: BundleErrorCode.DownloadFailed });
      expect(active.status().last_error?.message).toMatch(/304/);
    } finally {
      await close();
    }
  });
});

describe('a long-polling server that answers 200 at once with the bundle in force, every time', () => {
  it('activates it once: the same bytes again are "unchanged", not a new activation in a tight loop', async () => {
    // Long polling asks again at once; a server that ignores If-None-Match (or sends no ETag) made every answer a
    // fresh WASM load on the event loop, back to back.
    const body = readFileSync(bundleR1);
    let requests = 0;
    const { active, source, close } = await sourceAgainst(
      (_req, res) => {
        requests += 1;
        res.writeHead(200, { 'content-type': 'application/vnd.openpolicyagent.bundles' }).end(body);
      },
      {
        service: 'eager',
        polling: { minDelaySeconds: 60, maxDelaySeconds: 60, longPollingTimeoutSeconds: 5 },
        trust: {
          signing: { required: true, keyId: 'ci', excludeFiles: [] },
          keys: loadVerificationKeys({ ci: { algorithm: 'RS256', key_file: key.publicKeyFile } }, dir),
        },
      },
    );
    try {
      await source.start();
      await waitFor('twenty requests', () => requests >= 20);
      expect(active.activations).toEqual({ succeeded: 1, failed: 0 });
      expect(active.status().active).toMatchObject({ revision: 'r1' });
    } finally {
      await close();
    }
  });
});
