import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { serviceNodeFlags } from '../../bench/lib/start-flags';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  command?: string[];
  read_only?: boolean;
  user?: string;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const service = compose.services.modelgate!;

  it('runs modelgate built from the Dockerfile, on port 8080 of loopback', () => {
    expect(service.build).toBe('.');
    expect(service.ports).toContain('127.0.0.1:8080:8080');
    expect(service.environment?.HOST).toBe('0.0.0.0');
    expect(service.environment?.PORT).toBe('8080');
  });

  it('keeps the audit database on a named volume', () => {
    expect(Object.keys(compose.volumes)).toContain('modelgate-data');
    expect(service.volumes).toContain('modelgate-data:/var/lib/modelgate');
    expect(service.environment?.MODELGATE_DB).toBe('/var/lib/modelgate/modelgate.db');
  });

  it('mounts bundles/ read-only and serves the bundle from there', () => {
    expect(service.volumes).toContain('./bundles:/bundles:ro');
    expect(service.environment?.MODELGATE_BUNDLE).toBe('/bundles/modelgate.tar.gz');
  });

  it('checks readiness, not just liveness', () => {
    expect(service.healthcheck?.test.join(' ')).toContain('/ready');
    expect(service.read_only).toBe(true);
  });

  it('has a profile that builds bundles with the official OPA image at the pinned version', () => {
    const builder = compose.services['build-bundles']!;
    expect(builder.profiles).toEqual(['build-bundles']);
    const pinned = read('.opa-version').trim().replace(/^v/, '');
    expect(builder.image).toBe(`openpolicyagent/opa:${pinned}-static`);
    expect(builder.command).toEqual(
      expect.arrayContaining(['build', '-t', 'wasm', '-e', 'modelgate/decision']),
    );
    expect(builder.volumes).toContain('./rego:/work/rego:ro');
    // Runs as the invoking user, so it can write ./bundles whatever the host uid.
    expect(builder.user).toBe('${MODELGATE_UID:-1000}:${MODELGATE_GID:-1000}');
    expect(read('docker-compose.yml')).toContain('MODELGATE_UID=$(id -u) MODELGATE_GID=$(id -g)');
    expect(read('docker-compose.yml')).toContain('REGO_REVISION=$(scripts/rego-revision.sh rego)');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('is multi-stage, on Node 20', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^node:20/);
  });

  it('runs as a non-root user with production dependencies only', () => {
    const runtime = stages[stages.length - 1]!;
    expect(runtime).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('npm prune --omit=dev');
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(runtime).toContain('HEALTHCHECK');
  });

  it('ships the default bundle and starts the server', () => {
    expect(dockerfile).toContain('COPY bundles ./bundles');
    expect(dockerfile).toMatch(/CMD \["serve"\]/);
  });

  it('starts node with the flags of npm start, which the benchmarks measure', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    const flags = serviceNodeFlags(root);
    expect(flags).toEqual(expect.arrayContaining(['--max-semi-space-size=32', '--min-semi-space-size=32']));
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', ...flags, 'dist/cli/main.js']);
  });
});

describe('docker-compose.yml, the scale profile', () => {
  // Compose resolves YAML merge keys (<<: *replica); so does this parse.
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Service & { depends_on?: Record<string, unknown> }>;
  };
  const replicas = ['replica-a', 'replica-b'].map((name) => compose.services[name]!);

  it('runs PostgreSQL, two replicas on it and nginx in front, only when asked for', () => {
    for (const name of ['postgres', 'replica-a', 'replica-b', 'lb']) {
      expect({ name, profiles: compose.services[name]?.profiles }).toEqual({ name, profiles: ['scale'] });
    }
    for (const replica of replicas) {
      expect(replica.environment?.MODELGATE_DATABASE_URL).toMatch(
        /^postgres:\/\/modelgate:.*@postgres:5432\//,
      );
      expect(replica.healthcheck?.test.join(' ')).toContain('/ready');
      expect(replica.depends_on).toHaveProperty('postgres');
    }
    expect(compose.services.modelgate!.profiles).toBeUndefined(); // the default stays one SQLite process
  });

  it('balances over both replicas through the nginx file it mounts', () => {
    expect(compose.services.lb!.volumes).toContain(
      './deploy/nginx-scale.conf:/etc/nginx/conf.d/default.conf:ro',
    );
    const nginx = read('deploy/nginx-scale.conf');
    expect(nginx).toContain('server replica-a:8080');
    expect(nginx).toContain('server replica-b:8080');
    expect(nginx).toMatch(/proxy_pass http:\/\/modelgate;/);
  });
});
