import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { plainHttpWarnings } from '../../src/config/plain-http-warnings';

function warningsFor(yaml: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-plain-http-'));
  writeFileSync(path.join(dir, 'token'), 'collector-secret\n');
  writeFileSync(path.join(dir, 'c.yaml'), yaml);
  return plainHttpWarnings(loadConfig({ MODELGATE_CONFIG: path.join(dir, 'c.yaml') }));
}

const bundleFrom = (url: string, extra = '') =>
  `services: { s: { url: "${url}"${extra} } }\nbundles: { authz: { service: s } }\n`;

describe('warnings for what crosses the network in plain http', () => {
  it('names an unsigned bundle fetched over plain http: anyone on the path could replace the policy', () => {
    expect(warningsFor(bundleFrom('http://bundles.corp'))).toEqual([
      expect.stringMatching(
        /^bundles\.authz comes over plain http from bundles\.corp without a signature: .*replace the policy/,
      ),
    ]);
  });

  it('names a bundle service bearer token sent over plain http, signed bundle or not', () => {
    const yaml =
      'services: { s: { url: "http://bundles.corp", credentials: { bearer: { token: "t0k" } } } }\n' +
      'keys: { k: { key: "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\\n-----END PUBLIC KEY-----\\n" } }\n' +
      'bundles: { authz: { service: s, signing: { keyid: k } } }\n';
    const warnings = warningsFor(yaml);
    expect(warnings).toEqual([expect.stringMatching(/^services\.s sends its bearer token over plain http/)]);
    expect(warnings.join('\n')).not.toContain('t0k');
  });

  it('names a decision-log collector and a tracing collector reached over plain http with credentials', () => {
    const warnings = warningsFor(
      'decision_logs: { service: { url: "http://collector.corp", bearer_token_file: token } }\n' +
        'tracing: { otlp_endpoint: "http://otel.corp:4318/v1/traces", headers: { x-api-key: "k3y" } }\n',
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^decision_logs\.service sends decisions and its bearer token over plain http/),
      expect.stringMatching(/^tracing sends its headers \(x-api-key\) over plain http/),
    ]);
    expect(warnings.join('\n')).not.toMatch(/k3y|collector-secret/);
  });

  it('says nothing for https, for loopback (a sidecar), or for plain http that carries no secret', () => {
    expect(
      warningsFor(
        bundleFrom('https://bundles.corp') +
          'decision_logs: { service: { url: "http://127.0.0.1:9000", bearer_token_file: token } }\n' +
          'tracing: { otlp_endpoint: "http://otel.corp:4318/v1/traces" }\n',
      ),
    ).toEqual([]);
    expect(warningsFor(bundleFrom('http://localhost:8888'))).toEqual([]);
  });
});
