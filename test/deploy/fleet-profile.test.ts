import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  profiles?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  command?: string[];
}

// No docker engine in CI: this checks what can be checked without one (the YAML and the config it mounts).
describe('docker compose --profile fleet', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const { 'publish-bundle': publish, 'bundle-server': server, 'modelgate-fleet': fleet } = compose.services;

  it('has a publisher, a static bundle server and a polling modelgate, all in the fleet profile', () => {
    for (const service of [publish, server, fleet]) expect(service?.profiles).toEqual(['fleet']);
    expect(compose.services.modelgate?.profiles).toBeUndefined();
    expect(server?.image).toMatch(/^nginx:/);
  });

  it('publishes with the pinned OPA into the folder the server serves', () => {
    const pinned = read('.opa-version').trim().replace(/^v/, '');
    expect(publish?.image).toBe(`openpolicyagent/opa:${pinned}-static`);
    expect(publish?.volumes).toContain('fleet-bundles:/work/out');
    expect(publish?.command).toEqual(expect.arrayContaining(['-o', 'out/modelgate.tar.gz']));
    expect(server?.volumes).toContain('fleet-bundles:/usr/share/nginx/html/bundles:ro');
  });

  it('mounts a config that loadConfig accepts, polling the server for the published file', () => {
    expect(fleet?.environment?.MODELGATE_CONFIG).toBe('/etc/modelgate/modelgate.yaml');
    expect(fleet?.volumes).toContain('./deploy/fleet/modelgate.yaml:/etc/modelgate/modelgate.yaml:ro');
    const config = loadConfig({ MODELGATE_CONFIG: path.join(root, 'deploy', 'fleet', 'modelgate.yaml') });
    expect(config.policyBundle?.source).toMatchObject({
      kind: 'http',
      url: 'http://bundle-server',
      resource: 'bundles/modelgate.tar.gz',
      persist: true,
      persistDir: '/var/lib/modelgate/bundles/modelgate',
    });
  });
});
