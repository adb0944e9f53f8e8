/** The approvals and console sections of the configuration file: defaults, resolved paths, refusals. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startService } from '../../src/compose';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';
import { startDocumentServer } from '../helpers/document-server';
import { startTestService, testIssuerEntry } from '../helpers/service';

function configFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-approvals-config-'));
  const file = path.join(dir, 'modelgate.yaml');
  writeFileSync(file, text);
  return file;
}

describe('approvals configuration', () => {
  it('defaults to the modelgate:approve scope, the modelgate/approve entrypoint, no webhook and no OIDC', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.approvals).toEqual({
      approverScope: 'modelgate:approve',
      entrypoint: 'modelgate/approve',
      expirySweepSeconds: 30,
      maxPendingPerSubject: 20,
      publicUrl: undefined,
      webhook: undefined,
    });
    expect(config.consoleOidc).toBeUndefined();
  });

  it('resolves the webhook secret file against the config folder and fills the retry defaults', () => {
    const file = configFile(
      [
        'approvals:',
        '  public_url: https://modelgate.corp',
        '  webhook: { url: "https://hooks.corp/x", secret_file: secrets/hook }',
        'console:',
        '  oidc: { issuer: "https://idp.corp", client_id: modelgate-console }',
      ].join('\n'),
    );
    const config = loadConfig({ MODELGATE_CONFIG: file }, '/');
    expect(config.approvals?.webhook).toEqual({
      url: 'https://hooks.corp/x',
      secretFile: path.join(path.dirname(file), 'secrets', 'hook'),
      maxAttempts: 5,
      backoffMs: 1000,
      timeoutMs: 5000,
    });
    expect(config.consoleOidc).toEqual({
      issuer: 'https://idp.corp',
      clientId: 'modelgate-console',
      scope: 'openid',
    });
  });

  it('refuses a webhook without its secret, and unknown keys, naming the key', () => {
    const noSecret = configFile('approvals:\n  webhook: { url: "https://hooks.corp/x" }\n');
    expect(() => loadConfig({ MODELGATE_CONFIG: noSecret }, '/')).toThrow(/approvals\.webhook\.secret_file/);
    const unknown = configFile('approvals:\n  ttl: 5\n');
    expect(() => loadConfig({ MODELGATE_CONFIG: unknown }, '/')).toThrow(ConfigError);
  });

  it('refuses to start with console OIDC at an issuer it does not trust', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-approvals-config-'));
    const config = loadConfig(
      { MODELGATE_DATA_DIR: dir, MODELGATE_DB: path.join(dir, 'm.db'), PORT: '0' },
      dir,
    );
    await expect(
      startService(
        { ...config, consoleOidc: { issuer: 'https://elsewhere', clientId: 'c', scope: 'openid' } },
        pino({ level: 'silent' }),
      ),
    ).rejects.toThrow(/console\.oidc\.issuer: https:\/\/elsewhere is not one of the trusted issuers/);
  });

  it("signs the console in at the issuer entry's discovery_url, wherever its provider publishes it", async () => {
    // An RFC 8414 server: its metadata is under /.well-known/oauth-authorization-server/<issuer path>, and nothing
    // answers at <issuer>/.well-known/openid-configuration.
    const idp = await startDocumentServer();
    const issuer = `${idp.origin}/oauth2/default`;
    const discoveryUrl = `${idp.origin}/.well-known/oauth-authorization-server/oauth2/default`;
    idp.serve(discoveryUrl, {
      json: {
        issuer,
        authorization_endpoint: `${idp.origin}/oauth2/default/v1/authorize`,
        token_endpoint: `${idp.origin}/oauth2/default/v1/token`,
        jwks_uri: `${idp.origin}/oauth2/default/v1/keys`,
      },
    });
    const svc = await startTestService({
      issuers: [{ issuer, audiences: ['modelgate'], algorithms: ['RS256'], discovery_url: discoveryUrl }],
      consoleOidc: { issuer, clientId: 'modelgate-console', scope: 'openid' },
    });
    try {
      const reply = await svc.get('/console/config.json');
      expect(reply.status).toBe(200);
      expect(reply.body.oidc).toEqual({
        issuer,
        authorization_endpoint: `${idp.origin}/oauth2/default/v1/authorize`,
        client_id: 'modelgate-console',
        scope: 'openid',
      });
      expect(idp.hits(`${issuer}/.well-known/openid-configuration`)).toBe(0);
    } finally {
      await svc.close();
      await idp.close();
    }
  });

  describe('with an Entra ID {tenantid} template among the issuers', () => {
    const tenant = '4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11';
    const template = testIssuerEntry({
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      tenants: [tenant],
    });

    it("starts with console OIDC at a listed tenant's own issuer, as the template's tokens name it", async () => {
      const svc = await startTestService({
        issuers: [template],
        consoleOidc: {
          issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
          clientId: 'c',
          scope: 'openid',
        },
      });
      try {
        const reply = await svc.get('/health');
        expect(reply.status).toBe(200);
      } finally {
        await svc.close();
      }
    });

    it('refuses the template itself, and a tenant it does not list', async () => {
      for (const issuer of [
        template.issuer,
        'https://login.microsoftonline.com/7d2e9a10-3c4b-4f5e-8a6d-1b2c3d4e5f60/v2.0',
      ]) {
        const outcome = await startTestService({
          issuers: [template],
          consoleOidc: { issuer, clientId: 'c', scope: 'openid' },
        }).then(
          (svc) => svc.close().then(() => 'started'),
          (err: unknown) => err,
        );
        expect(outcome).toBeInstanceOf(ConfigError);
        expect(String(outcome)).toMatch(/console\.oidc\.issuer: .* is not one of the trusted issuers/);
      }
    });
  });
});
