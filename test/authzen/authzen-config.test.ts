import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';

function configWith(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-authzen-config-')), 'modelgate.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('the authzen configuration', () => {
  it('defaults to the authzen/decision entrypoint and the request origin', () => {
    expect(loadConfig({}, '/srv/app').authzen).toEqual({ entrypoint: 'authzen/decision' });
  });

  it('reads the entrypoint and the PDP identifier from the file', () => {
    const file = configWith(
      'authzen:\n  entrypoint: todo/decision\n  policy_decision_point: https://pdp.example.com\n',
    );
    expect(loadConfig({ MODELGATE_CONFIG: file }, '/srv/app').authzen).toEqual({
      entrypoint: 'todo/decision',
      policyDecisionPoint: 'https://pdp.example.com',
    });
  });

  it('refuses a PDP identifier with a query or a trailing slash', () => {
    for (const pdp of ['https://pdp.example.com/', 'https://pdp.example.com?x=1']) {
      const file = configWith(`authzen:\n  policy_decision_point: "${pdp}"\n`);
      expect(() => loadConfig({ MODELGATE_CONFIG: file }, '/srv/app')).toThrow(ConfigError);
    }
  });
});
