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
  // A byte every 50 ms against a 500 ms pause limit: a wide margin on a loaded CI machine, so that only the
  // whole-answer deadline can end it.
  server = await startTricklingServer(50);
});
afterAll(() => server.close());

function config(): HttpSourceConfig {
  return {
    kind: 'http',
    service: 'bundles',
    url: server.url,
    resource: 'modelgate.tar.gz',
    responseHeaderTimeoutSeconds: 0.5,
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
  expect((outcome as Error).message).toMatch(/the whole answer took longer than 5 s/);
  // Ten times the header timeout, not one pause: a trickle is cut off, a slow steady download is not.
  expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
  expect(Date.now() - started).toBeLessThan(10_000);
}, 20_000);
