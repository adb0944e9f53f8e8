import { chmodSync, copyFileSync, mkdtempSync, renameSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BundleStatus } from '../../src/policy/active-bundle';
import { opaBuildBundle, writeKeyPair, writePolicySources } from '../helpers/bundles';
import { startNginx, type Nginx } from '../helpers/nginx';
import { startTestService, type TestService } from '../helpers/service';

let dir: string;
let served: string;
let nginx: Nginx;
let service: TestService;
let r1: string;
let r2: string;

/** Publishes with an explicit mtime: nginx's ETag is mtime (seconds) and size, so two same-size bundles
 * published within one second would share an ETag. */
function publish(bundle: string, mtimeSeconds: number): void {
  const target = path.join(served, 'modelgate.tar.gz');
  copyFileSync(bundle, `${target}.tmp`);
  chmodSync(`${target}.tmp`, 0o644);
  utimesSync(`${target}.tmp`, mtimeSeconds, mtimeSeconds);
  renameSync(`${target}.tmp`, target);
}

async function bundleStatus(): Promise<BundleStatus> {
  const reply = await service.get('/v1/status', service.token({ scope: 'modelgate:operate' }));
  return (reply.body.bundles as BundleStatus[])[0]!;
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-nginx-test-'));
  served = mkdtempSync(path.join(os.tmpdir(), 'mg-nginx-www-'));
  const key = writeKeyPair(dir, 'ci');
  const sources = writePolicySources();
  r1 = opaBuildBundle(sources, path.join(dir, 'r1.tar.gz'), {
    revision: 'r1',
    signing: { key: key.privateKeyFile },
  });
  r2 = opaBuildBundle(sources, path.join(dir, 'r2.tar.gz'), {
    revision: 'r2',
    signing: { key: key.privateKeyFile },
  });
  publish(r1, 1_800_000_000);
  nginx = await startNginx(served);
  service = await startTestService({
    policyBundle: {
      name: 'modelgate',
      signing: { required: true, keyId: 'default', excludeFiles: [] },
      source: {
        kind: 'http',
        service: 'nginx',
        url: nginx.url,
        resource: 'modelgate.tar.gz',
        responseHeaderTimeoutSeconds: 5,
        polling: { minDelaySeconds: 0.2, maxDelaySeconds: 0.4 },
        persist: true,
        persistDir: path.join(dir, 'data', 'bundles', 'modelgate'),
      },
    },
    keys: { default: { algorithm: 'RS256', key_file: key.publicKeyFile } },
  });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await nginx?.stop();
});

describe('nginx as the bundle server (a plain static file server)', () => {
  it('serves the signed bundle, then 304s with the ETag nginx gave it', async () => {
    expect((await bundleStatus()).active).toMatchObject({ revision: 'r1', key_id: 'default' });
    const etag = (await bundleStatus()).active!.etag!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    await waitFor('two 304s', () => nginx.log().filter((line) => line === `304 ${etag}`).length >= 2);
    expect(nginx.log()[0]).toBe('200 ');
  });

  it('activates the next revision when it is published', async () => {
    publish(r2, 1_800_000_100);
    await waitFor('r2', async () => (await bundleStatus()).active?.revision === 'r2');
    expect((await bundleStatus()).last_error).toBeNull();
  });
});
