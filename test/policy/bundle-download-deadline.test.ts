import { BundleErrorCode } from '../../src/errors';
import { BundleError } from '../../src/policy/bundle';
import type { HttpSourceConfig } from '../../src/policy/bundle-config';
import { downloadBundle } from '../../src/policy/bundle-download';
import { startTricklingServer, type TricklingServer } from '../helpers/trickling-server';

// A bundle server (or whoever sits in front of it) that answers 200 and then sends one byte at a
// time, each before the pause timeout, would hold the poll forever; polls and SIGHUP reloads queue
// behind it, so no newer bundle could ever be activated.

let server: TricklingServer;
beforeAll(async () => {
  server = await startTricklingServer(100);
});
afterAll(() => server.close());

function config(): HttpSourceConfig {
  return {
    kind: 'http',
    service: 'bundles',
    url: server.url,
    resource: 'modelgate.tar.gz',
    responseHeaderTimeoutSeconds: 0.2,
    polling: { minDelaySeconds: 1, maxDelaySeconds: 2 },
    persist: false,
    persistDir: '/nonexistent',
  };
}

it('a body that never ends fails with bundle_download_failed once the whole-answer deadline passes', async () => {
  const started = Date.now();
  const outcome = await downloadBundle(config(), { etag: null }).catch((err: unknown) => err);
  expect(outcome).toBeInstanceOf(BundleError);
  expect((outcome as BundleError).code).toBe(BundleErrorCode.DownloadFailed);
  expect((outcome as Error).message).toMatch(/the whole answer took longer than 2 s/);
  // Ten times the header timeout, not one pause: a trickle is cut off, a slow steady download is not.
  expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  expect(Date.now() - started).toBeLessThan(5000);
}, 20_000);
