/**
 * Console sign-in with OIDC authorisation code and PKCE, in Chromium, against a real (minimal) identity
 * provider on a local port that modelgate trusts as an issuer. The provider checks the PKCE verifier
 * against the challenge, so the login only works if the console and modelgate do PKCE right.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { CONSOLE_DIR } from '../../src/server/console-routes';
import { startTestService, TEST_AUDIENCE, type TestService, testIssuerEntry } from '../helpers/service';
import { generateRsaKeyPair, signToken, standardClaims } from '../helpers/tokens';
import { APPROVER, codes, pipelineChange, tokens } from '../approvals/approval-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-results', 'console');
const CLIENT_ID = 'modelgate-console';

function run(script: string): string {
  const out = spawnSync(path.join(ROOT, 'scripts', script), { cwd: ROOT, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${script} failed: ${out.stderr}`);
  return out.stdout.trim().split('\n').pop()!;
}

const base64url = (buf: Buffer) => buf.toString('base64url');

describe('console sign-in with OIDC (authorisation code + PKCE)', () => {
  let idp: Server;
  let issuer: string;
  let svc: TestService;
  let browser: Browser;
  const grants = new Map<string, { challenge: string; redirectUri: string }>();
  const exchanges: string[] = [];

  beforeAll(async () => {
    const executablePath = run('ensure-chromium.sh');
    if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) run('build-console.sh');
    mkdirSync(SHOTS, { recursive: true });
    const keys = generateRsaKeyPair();
    idp = createServer((req, res) => {
      const url = new URL(req.url!, issuer);
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/.well-known/openid-configuration') {
        json(200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
        });
      } else if (url.pathname === '/authorize') {
        const q = url.searchParams;
        if (
          q.get('response_type') !== 'code' ||
          q.get('client_id') !== CLIENT_ID ||
          q.get('code_challenge_method') !== 'S256'
        ) {
          json(400, { error: 'invalid_request' });
          return;
        }
        const code = randomUUID();
        grants.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')! });
        const back = new URL(q.get('redirect_uri')!);
        back.search = new URLSearchParams({ code, state: q.get('state')! }).toString();
        res.writeHead(302, { location: back.toString() }).end();
      } else if (url.pathname === '/token' && req.method === 'POST') {
        let text = '';
        req.on('data', (c: Buffer) => (text += c.toString()));
        req.on('end', () => {
          const form = new URLSearchParams(text);
          const grant = grants.get(form.get('code') ?? '');
          grants.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          const ok =
            grant &&
            form.get('grant_type') === 'authorization_code' &&
            form.get('client_id') === CLIENT_ID &&
            form.get('redirect_uri') === grant.redirectUri &&
            base64url(createHash('sha256').update(verifier).digest()) === grant.challenge;
          exchanges.push(ok ? 'ok' : 'refused');
          if (!ok) {
            json(400, { error: 'invalid_grant' });
            return;
          }
          const claims = standardClaims(
            { issuer, audience: TEST_AUDIENCE },
            { sub: APPROVER, scope: 'modelgate:approve modelgate:audit', groups: ['platform-leads'] },
          );
          json(200, {
            access_token: signToken({ header: { alg: 'RS256', typ: 'JWT' }, claims, key: keys.privateKey }),
            token_type: 'Bearer',
          });
        });
      } else {
        json(404, {});
      }
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const keyDir = mkdtempSync(path.join(os.tmpdir(), 'mg-idp-'));
    writeFileSync(path.join(keyDir, 'idp.pem'), keys.publicPem);
    svc = await startTestService({
      issuers: [
        testIssuerEntry(),
        {
          issuer,
          audiences: [TEST_AUDIENCE],
          algorithms: ['RS256'],
          public_key_file: path.join(keyDir, 'idp.pem'),
        },
      ],
      consoleOidc: { issuer, clientId: CLIENT_ID, scope: 'openid' },
    });
    browser = await chromium.launch({
      executablePath,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await new Promise((resolve) => idp?.close(resolve));
  });

  it('signs in through the identity provider and shows the approver their pending requests', async () => {
    const asked = await svc.post(
      '/v1/decide',
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'Cache the build layers' }] } }),
      tokens(svc).requester,
    );
    expect(codes(asked.body)).toEqual(['approval_required']);
    const approvalId = (asked.body.approval as { id: string }).id;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${svc.url}/console/`);
    await page.getByRole('button', { name: `Sign in with ${issuer}` }).click();
    const card = page.locator(`[data-approval="${approvalId}"]`);
    await card.waitFor();
    expect(exchanges).toEqual(['ok']);
    expect(await page.locator('.who').textContent()).toContain(APPROVER);
    expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(1);
    expect(page.url()).toBe(`${svc.url}/console/#/approvals`);
    await page.screenshot({ path: path.join(SHOTS, '10-oidc-signed-in.png'), fullPage: true });
    await page.close();
  });

  it('refuses an exchange whose verifier does not match, and a redirect away from the console', async () => {
    const refused = await svc.post('/console/oidc/token', {
      code: 'nope',
      code_verifier: 'a'.repeat(43),
      redirect_uri: `${svc.url}/console/`,
    });
    expect(refused.status).toBe(400);
    expect(exchanges.at(-1)).toBe('refused');
    const elsewhere = await svc.post('/console/oidc/token', {
      code: 'nope',
      code_verifier: 'a'.repeat(43),
      redirect_uri: 'https://evil.example/steal',
    });
    expect(elsewhere.status).toBe(400);
    expect(JSON.stringify(elsewhere.body)).toContain('redirect_uri');
  });
});
