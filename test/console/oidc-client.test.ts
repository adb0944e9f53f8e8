/**
 * The console's OIDC discovery against a real identity provider on a local port: the document is read with the
 * same limits as an issuer's (size, https endpoints, no credentials), since the token endpoint it names receives
 * the user's authorisation code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { OidcClient } from '../../src/console/oidc-client';

let server: Server;
let issuer: string;
let document: (issuer: string) => unknown;
let tokenReply: unknown;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/token' && req.method === 'POST') {
      // Chunked (no Content-Length): the cap must hold while reading, not only on a declared length.
      res.writeHead(200, { 'content-type': 'application/json' });
      return void req.resume().on('end', () => res.end(JSON.stringify(tokenReply)));
    }
    if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document(issuer)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  new OidcClient({ issuer, clientId: 'console', scope: 'openid' }, pino({ level: 'silent' }));
const endpoints = (base: string) => ({
  issuer,
  authorization_endpoint: `${base}/authorize`,
  token_endpoint: `${base}/token`,
});

test('reads the authorization endpoint of a document for this issuer (the precondition)', async () => {
  document = () => endpoints(issuer);
  await expect(client().loginConfig()).resolves.toMatchObject({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    client_id: 'console',
  });
});

test.each([
  ['a token endpoint over plain http to another host', () => endpoints('http://idp.example')],
  ['an endpoint carrying credentials', () => endpoints(issuer.replace('http://', 'http://user:pw@'))],
  ['an endpoint that is no URL', () => ({ ...endpoints(issuer), token_endpoint: 'token' })],
  ['a document over 64 KiB', () => ({ ...endpoints(issuer), padding: 'x'.repeat(70_000) })],
  ['a document for another issuer', () => ({ ...endpoints(issuer), issuer: 'https://other.example' })],
])('refuses %s with 503 keys_unavailable', async (_name, make) => {
  document = make;
  await expect(client().loginConfig()).rejects.toMatchObject({ code: 'keys_unavailable' });
});

describe('the code exchange', () => {
  const exchange = () =>
    client().exchange({ code: 'c', codeVerifier: 'v', redirectUri: `${issuer}/console/` });

  test('returns the access token of the reply (the precondition)', async () => {
    document = () => endpoints(issuer);
    tokenReply = { access_token: 'eyJ.a.b', token_type: 'Bearer' };
    await expect(exchange()).resolves.toBe('eyJ.a.b');
  });

  test('refuses a reply over 64 KiB as a failed login (400), unread past the limit', async () => {
    document = () => endpoints(issuer);
    tokenReply = { access_token: 'eyJ.a.b', padding: 'x'.repeat(70_000) };
    await expect(exchange()).rejects.toMatchObject({ status: 400, code: 'bad_request' });
  });
});
