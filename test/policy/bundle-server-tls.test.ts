import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { BundleErrorCode } from '../../src/errors';
import type { BundleStatus } from '../../src/policy/active-bundle';
import type { HttpSourceConfig } from '../../src/policy/bundle-config';
import { opaBuildBundle, writePolicySources } from '../helpers/bundles';
import { startTestService } from '../helpers/service';

let dir: string;
let bundle: string;
let server: Server;
let url: string;
const seen: { authorized: boolean; cn: string | undefined }[] = [];

/** Writes a self-signed certificate and key (openssl), for 127.0.0.1. */
function selfSigned(name: string, cn: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-mtls-'));
  bundle = opaBuildBundle(writePolicySources(), path.join(dir, 'r1.tar.gz'), { revision: 'tls-1' });
  const serverCert = selfSigned('server', '127.0.0.1');
  const clientCert = selfSigned('client', 'modelgate-fleet');
  // The server trusts exactly the client certificate and refuses a TLS client without one.
  server = createServer(
    {
      cert: readFileSync(serverCert.cert),
      key: readFileSync(serverCert.key),
      ca: readFileSync(clientCert.cert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      seen.push({ authorized: socket.authorized, cn: String(socket.getPeerCertificate().subject?.CN) });
      res.writeHead(200, { 'content-type': 'application/gzip', etag: '"tls-1"' }).end(readFileSync(bundle));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

function source(overrides: Partial<HttpSourceConfig>): HttpSourceConfig {
  return {
    kind: 'http',
    service: 'tls',
    url,
    resource: 'modelgate.tar.gz',
    caCertFile: path.join(dir, 'server.pem'),
    responseHeaderTimeoutSeconds: 5,
    polling: { minDelaySeconds: 30, maxDelaySeconds: 30 },
    persist: false,
    persistDir: path.join(dir, 'unused'),
    ...overrides,
  };
}

async function statusOf(overrides: Partial<HttpSourceConfig>): Promise<BundleStatus> {
  const service = await startTestService({ policyBundle: { name: 'modelgate', source: source(overrides) } });
  try {
    const reply = await service.get('/v1/status', service.token({ scope: 'modelgate:operate' }));
    return (reply.body.bundles as BundleStatus[])[0]!;
  } finally {
    await service.close();
  }
}

describe('a bundle server that requires a client certificate (mutual TLS)', () => {
  it('downloads with the configured client certificate, trusting the configured CA', async () => {
    const status = await statusOf({
      clientTls: { certFile: path.join(dir, 'client.pem'), privateKeyFile: path.join(dir, 'client-key.pem') },
    });
    expect(status.active).toMatchObject({ revision: 'tls-1', etag: '"tls-1"' });
    expect(seen).toEqual([{ authorized: true, cn: 'modelgate-fleet' }]);
  });

  it('without the client certificate the handshake fails: bundle_download_failed, nothing active', async () => {
    const status = await statusOf({});
    expect(status.active).toBeNull();
    expect(status.last_error).toMatchObject({ code: BundleErrorCode.DownloadFailed });
    expect(seen).toHaveLength(1);
  });

  it('an untrusted server certificate is refused', async () => {
    const status = await statusOf({
      caCertFile: undefined,
      clientTls: { certFile: path.join(dir, 'client.pem'), privateKeyFile: path.join(dir, 'client-key.pem') },
    });
    expect(status.last_error).toMatchObject({
      code: BundleErrorCode.DownloadFailed,
      message: expect.stringMatching(/certificate/),
    });
    expect(seen).toHaveLength(1);
  });
});
