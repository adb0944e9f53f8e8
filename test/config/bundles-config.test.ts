import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUNDLE, loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bundles-config-'));
  writeFileSync(path.join(dir, 'modelgate.yaml'), yaml);
  return { dir, config: () => loadConfig({ MODELGATE_CONFIG: path.join(dir, 'modelgate.yaml'), ...env }) };
}

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('bundle configuration (OPA-style keys, services, bundles)', () => {
  it('without any: the default bundle, watched, unsigned', () => {
    expect(loadConfig({}, '/srv').policyBundle).toEqual({
      name: 'modelgate',
      source: { kind: 'file', path: DEFAULT_BUNDLE, watch: true },
    });
  });

  it('a bundle service with OPA defaults: 60-120 s polling, persisted to data_dir, signing required', () => {
    const { dir, config } = load(`
keys:
  ci: { algorithm: ES256, key_file: keys/ci.pub.pem }
services:
  cdn:
    url: https://bundles.example/v1/
    credentials: { bearer: { token_path: secrets/token } }
bundles:
  authz:
    service: cdn
    signing: { keyid: ci, scope: prod }
`);
    const c = config();
    expect(c.policyBundle).toEqual({
      name: 'authz',
      signing: { required: true, keyId: 'ci', scope: 'prod', excludeFiles: [] },
      source: {
        kind: 'http',
        service: 'cdn',
        url: 'https://bundles.example/v1',
        resource: 'bundles/authz',
        bearer: { scheme: 'Bearer', token: undefined, tokenFile: path.join(dir, 'secrets/token') },
        clientTls: undefined,
        caCertFile: undefined,
        responseHeaderTimeoutSeconds: 10,
        polling: { minDelaySeconds: 60, maxDelaySeconds: 120, longPollingTimeoutSeconds: undefined },
        persist: true,
        persistDir: path.join(dir, '.modelgate', 'bundles', 'authz'),
      },
    });
    // Other commands (modelgate usage) read the persisted copy as the bundle file.
    expect(c.bundle).toBe(path.join(dir, '.modelgate', 'bundles', 'authz', 'bundle.tar.gz'));
    expect(c.keys).toEqual({ ci: { algorithm: 'ES256', key_file: 'keys/ci.pub.pem' } });
  });

  it.each([
    ['bundle and bundles together', 'bundle: a.tar.gz\nbundles: { m: { file: b.tar.gz } }', /either bundle/],
    ['two bundles', 'bundles: { a: { file: a.tar.gz }, b: { file: b.tar.gz } }', /bundles/],
    [
      'neither file nor service',
      'bundles: { m: { persist: true } }',
      /bundles\.m: needs exactly one of file or service/,
    ],
    ['an unknown service', 'bundles: { m: { service: nope } }', /bundles\.m\.service: no service "nope"/],
    [
      'an unknown signing key',
      'bundles: { m: { file: a.tar.gz, signing: { keyid: k } } }',
      /signing\.keyid: no key "k"/,
    ],
    [
      'max delay below min delay',
      'services: { s: { url: "http://x" } }\nbundles: { m: { service: s, polling: { min_delay_seconds: 9, max_delay_seconds: 3 } } }',
      /max_delay_seconds is below/,
    ],
    ['a service URL without a scheme', 'services: { s: { url: "x.example" } }', /services/],
  ])('refuses %s', (_name, yaml, message) => {
    expect(problem(load(yaml).config)).toMatch(message);
  });

  it('refuses MODELGATE_BUNDLE when the file configures bundles', () => {
    expect(
      problem(load('bundles: { m: { file: a.tar.gz } }', { MODELGATE_BUNDLE: 'x.tar.gz' }).config),
    ).toMatch(/either bundle/);
  });
});
