import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { BundleErrorCode } from '../errors';
import { BundleError } from './bundle';
import type { HttpSourceConfig } from './bundle-config';

/** OPA's marker that a bundle server supports long polling (`Content-Type` of its replies). */
export const LONG_POLL_CONTENT_TYPE = 'application/vnd.openpolicyagent.bundles';

const MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

// The pause timeout alone never fires on a server that trickles one byte per pause; polls and SIGHUP reloads
// queue behind a download, so one that never ends would keep every newer bundle out. Ten header timeouts
// (100 s by default) is ample for a policy bundle of a few MiB.
const WHOLE_ANSWER_TIMEOUTS = 10;

/** The outcome of one request to the bundle server. */
export type DownloadResult =
  | { status: 200; body: Buffer; etag: string | null; longPoll: boolean }
  | { status: 304; etag: string | null; longPoll: boolean };

/**
 * Returns one answer of OPA's bundle service API: `GET <url>/<resource>` with `If-None-Match` and
 * `Prefer: modes=snapshot[;wait=N]`; 200 with the tarball, or 304. Anything else, a timeout, or a
 * body over the size limit throws BundleError `bundle_download_failed`.
 */
export function downloadBundle(
  config: HttpSourceConfig,
  request: { etag: string | null; waitSeconds?: number; signal?: AbortSignal },
): Promise<DownloadResult> {
  const url = new URL(`${config.url}/${config.resource}`);
  const headers: Record<string, string> = {
    accept: `application/gzip, application/octet-stream, ${LONG_POLL_CONTENT_TYPE}`,
    'user-agent': 'modelgate',
    prefer: request.waitSeconds ? `modes=snapshot;wait=${request.waitSeconds}` : 'modes=snapshot',
  };
  if (request.etag) headers['if-none-match'] = request.etag;
  const token = bearerToken(config);
  if (token) headers.authorization = `${config.bearer!.scheme} ${token}`;
  const tls =
    url.protocol === 'https:'
      ? {
          ca: config.caCertFile ? readFileSync(config.caCertFile) : undefined,
          cert: config.clientTls ? readFileSync(config.clientTls.certFile) : undefined,
          key: config.clientTls ? readFileSync(config.clientTls.privateKeyFile) : undefined,
        }
      : {};
  // A long poll legitimately holds the headers back for up to `wait` seconds.
  const headerTimeoutMs = (config.responseHeaderTimeoutSeconds + (request.waitSeconds ?? 0)) * 1000;
  const where = url.toString();
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown) =>
      reject(new BundleError(`${where}: ${message}`, { code: BundleErrorCode.DownloadFailed, cause }));
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: 'GET', headers, signal: request.signal, ...tls }, (res) => {
      clearTimeout(headerTimer);
      const etag = header(res.headers.etag);
      const longPoll = header(res.headers['content-type']) === LONG_POLL_CONTENT_TYPE;
      if (res.statusCode === 304) {
        res.resume();
        // "Not modified" with no ETag sent compares with nothing: taken as success, a replica with no bundle
        // (or whose persisted copy was refused) would report no error while it denies everything.
        if (!request.etag) return fail('the server answered 304 to a request without If-None-Match');
        return resolve({ status: 304, etag: etag ?? request.etag, longPoll });
      }
      if (res.statusCode !== 200) {
        res.resume();
        return fail(`the server answered ${res.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const deadlineSeconds = config.responseHeaderTimeoutSeconds * WHOLE_ANSWER_TIMEOUTS;
      const deadline = setTimeout(
        () => res.destroy(new Error(`the whole answer took longer than ${deadlineSeconds} s`)),
        deadlineSeconds * 1000,
      );
      res.on('close', () => clearTimeout(deadline));
      // The body must keep coming: no more than the header timeout without a byte.
      res.setTimeout(config.responseHeaderTimeoutSeconds * 1000, () =>
        res.destroy(new Error('body timed out')),
      );
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOWNLOAD_BYTES) res.destroy(new Error(`larger than ${MAX_DOWNLOAD_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (err) => fail(err.message, err));
      res.on('end', () => {
        if (!res.complete) return fail('the body was cut off');
        resolve({ status: 200, body: Buffer.concat(chunks), etag, longPoll });
      });
    });
    const headerTimer = setTimeout(
      () => req.destroy(new Error('no response headers in time')),
      headerTimeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(headerTimer);
      fail(err.message, err);
    });
    req.end();
  });
}

// A token file is re-read on every request, so a rotated token is picked up without a restart.
function bearerToken(config: HttpSourceConfig): string | undefined {
  if (!config.bearer) return undefined;
  if (config.bearer.tokenFile) return readFileSync(config.bearer.tokenFile, 'utf8').trim();
  return config.bearer.token;
}

function header(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
