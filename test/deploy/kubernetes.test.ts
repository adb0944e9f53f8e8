import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import type { Config } from '../../src/config/config';
import { buildOpenApiDocument } from '../../src/schemas/openapi';

// Static checks of deploy/kubernetes, as test/deploy/deployment-files.test.ts checks the compose file: no cluster
// here. The manifests are rendered by the pinned kustomize, as `kubectl apply -k` renders them, and every check
// runs on what would be applied. Field names and types were checked once against the Kubernetes 1.30 API types
// (kubernetes-types) and schemas (kubernetes-models); no such package is pinned here (docs/operations.md).

const root = path.resolve(__dirname, '..', '..');
const kubernetesDir = path.join(root, 'deploy', 'kubernetes');

/** The Dockerfile's `USER node` on the node:20 images: the official image creates it with uid and gid 1000. */
const NODE_IMAGE_USERS: Record<string, number> = { node: 1000 };

interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: unknown;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    fsGroup?: number;
    fsGroupChangePolicy?: string;
    seccompProfile?: { type: string };
  };
  containers: Container[];
  volumes?: {
    name: string;
    emptyDir?: object;
    configMap?: { name: string };
    persistentVolumeClaim?: object;
  }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}
interface Workload extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string }; spec: { accessModes: string[] } }[];
    strategy?: { type: string; rollingUpdate?: { maxUnavailable?: number } };
  };
}

function kustomizeBinary(): string {
  return execFileSync(path.join(root, 'scripts', 'ensure-kustomize.sh'), { encoding: 'utf8' }).trim();
}

function render(kustomize: string, dir: string): Manifest[] {
  const out = execFileSync(kustomize, ['build', dir], { encoding: 'utf8' });
  return parseAllDocuments(out).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Manifest;
  });
}

/** Returns a Kubernetes quantity in base units: cores for CPU ("500m"), bytes for memory ("1Gi"). */
function quantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(value);
  if (!match) throw new Error(`not a quantity: ${value}`);
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  Object.assign(factor, { k: 1e3, M: 1e6, G: 1e9 });
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1);
}

/** Returns the ENV of the Dockerfile's last stage, which the container starts with. */
function dockerfileEnv(): Record<string, string> {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = dockerfile.split(/^FROM /m).pop()!;
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const [key, value] = pair.split('=');
      env[key!] = value!;
    }
  }
  return env;
}

/** Returns the configuration the container would run with: its ConfigMap through the service's loader. */
function podConfig(manifests: Manifest[], pod: PodSpec, scratch: string): Config {
  const container = pod.containers[0]!;
  const env: Record<string, string> = { ...dockerfileEnv() };
  for (const variable of container.env ?? []) {
    // A Secret's value is not in the manifests: a URL of the right form stands in for it.
    env[variable.name] = variable.value ?? 'postgres://modelgate@postgres.example:5432/modelgate';
  }
  const configFile = env.MODELGATE_CONFIG!;
  const mount = container.volumeMounts!.find((m) => configFile.startsWith(`${m.mountPath}/`))!;
  expect(mount.readOnly).toBe(true);
  const volume = pod.volumes!.find((v) => v.name === mount.name)!;
  const configMap = manifests.find(
    (m) => m.kind === 'ConfigMap' && m.metadata.name === volume.configMap?.name,
  );
  const text = configMap?.data?.[path.relative(mount.mountPath, configFile)];
  expect(text).toBeDefined();
  writeFileSync(path.join(scratch, 'modelgate.yaml'), text!);
  return loadConfig({ ...env, MODELGATE_CONFIG: path.join(scratch, 'modelgate.yaml') }, scratch);
}

const shapes = [
  { name: 'one replica on SQLite', dir: kubernetesDir, workloadKind: 'StatefulSet', sqlite: true },
  {
    name: 'replicas on PostgreSQL',
    dir: path.join(kubernetesDir, 'postgres'),
    workloadKind: 'Deployment',
    sqlite: false,
  },
] as const;

describe('deploy/kubernetes', () => {
  let kustomize = '';
  let scratch = '';
  beforeAll(() => {
    kustomize = kustomizeBinary();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'modelgate-k8s-'));
  }, 300_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('lists every file of each kustomization, and parses each as YAML', () => {
    const dirs = [kubernetesDir, path.join(kubernetesDir, 'base'), path.join(kubernetesDir, 'postgres')];
    for (const dir of dirs) {
      const kustomization = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
        resources?: string[];
        patches?: { path?: string }[];
        configMapGenerator?: { files?: string[] }[];
      };
      const named = [
        ...(kustomization.resources ?? []),
        ...(kustomization.patches ?? []).flatMap((p) => (p.path ? [p.path] : [])),
        ...(kustomization.configMapGenerator ?? []).flatMap((g) => g.files ?? []),
      ];
      const files = named.filter((entry) => statSync(path.join(dir, entry)).isFile());
      const present = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
      expect({ dir, files: [...files].sort() }).toEqual({ dir, files: present.sort() });
      for (const file of present) {
        for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
          expect({ file, errors: doc.errors }).toEqual({ file, errors: [] });
        }
      }
    }
  });

  describe.each(shapes)('$name', ({ dir, workloadKind, sqlite }) => {
    let manifests: Manifest[] = [];
    let workload: Workload;
    let pod: PodSpec;
    let container: Container;
    let config: Config;
    beforeAll(() => {
      manifests = render(kustomize, dir);
      workload = manifests.find((m) => m.kind === workloadKind) as Workload;
      pod = workload.spec.template.spec;
      container = pod.containers[0]!;
      const shapeScratch = mkdtempSync(path.join(scratch, 'shape-'));
      config = podConfig(manifests, pod, shapeScratch);
    });

    it('renders the resources of its shape, each with the essential fields', () => {
      const kinds = manifests.map((m) => m.kind).sort();
      const expected = ['ConfigMap', 'NetworkPolicy', 'Service', 'ServiceAccount', workloadKind];
      expect(kinds).toEqual((sqlite ? expected : [...expected, 'PodDisruptionBudget']).sort());
      for (const m of manifests) {
        expect(m.apiVersion).toMatch(/^(v1|apps\/v1|policy\/v1|networking\.k8s\.io\/v1)$/);
        expect(m.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }
      // Selectors are immutable: the pod's labels must carry them, and the Service must find the pods.
      const podLabels = workload.spec.template.metadata.labels;
      expect(podLabels).toMatchObject(workload.spec.selector.matchLabels);
      const service = manifests.find((m) => m.kind === 'Service')!;
      expect(podLabels).toMatchObject(service.spec!.selector as Record<string, string>);
      expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toContain(
        `ServiceAccount/${pod.serviceAccountName}`,
      );
      expect(pod.containers).toHaveLength(1);
      expect(container.image).toContain('fill-in'); // the image users must name (kustomization.yaml `images`)
      expect(container.args).toEqual(['serve']);
    });

    it('runs a configuration that the service loads, out of development mode', () => {
      expect(config.issuers.length).toBeGreaterThan(0);
      for (const issuer of config.issuers) expect(issuer.issuer).toContain('fill-in'); // placeholders to fill
      expect(config.host).toBe('0.0.0.0');
      // The image's PORT, HOST, MODELGATE_DB and MODELGATE_DATA_DIR agree with the file: nothing silently replaced.
      expect(config.overriddenByEnv).toEqual([]);
      expect(config.database !== undefined).toBe(!sqlite);
      if (!sqlite) {
        const url = container.env!.find((e) => e.name === 'MODELGATE_DATABASE_URL');
        expect(url?.value).toBeUndefined(); // never inline: a Secret holds the password
        expect(url?.valueFrom?.secretKeyRef).toEqual({ name: 'modelgate-database', key: 'url' });
      }
    });

    it('exposes the service and metrics ports the configuration listens on', () => {
      const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
      expect(ports.http).toBe(config.port);
      expect(config.metrics?.port).toBeDefined();
      expect(config.metrics?.host).toBe('0.0.0.0');
      expect(ports.metrics).toBe(config.metrics?.port);
      const service = manifests.find((m) => m.kind === 'Service')!;
      const servicePorts = service.spec!.ports as { name: string; port: number; targetPort: string }[];
      for (const port of servicePorts) expect(ports[port.targetPort]).toBe(port.port);
      const policy = manifests.find((m) => m.kind === 'NetworkPolicy')!;
      expect(podLabels(workload)).toMatchObject(
        (policy.spec!.podSelector as { matchLabels: Record<string, string> }).matchLabels,
      );
      const allowed = (policy.spec!.ingress as { ports: { port: string }[] }[]).flatMap((r) => r.ports);
      for (const rule of allowed) expect(Object.keys(ports)).toContain(rule.port);
    });

    it('probes /health for start-up and liveness and /ready for readiness, on routes the app serves', () => {
      const paths = buildOpenApiDocument().paths as Record<string, { get?: unknown }>;
      const probes = { startup: container.startupProbe, liveness: container.livenessProbe };
      for (const [name, probe] of Object.entries(probes)) {
        expect({ name, path: probe?.httpGet?.path, port: probe?.httpGet?.port }).toEqual({
          name,
          path: '/health',
          port: 'http',
        });
      }
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        expect(paths[probe!.httpGet!.path]?.get).toBeDefined();
      }
      // The listener opens after the JWKS fetch (5 s at most), the usage rebuild (15 s for 1.6M rows on a busy
      // machine) and the bundle load: the start-up probe allows well over that before liveness takes over.
      const startup = container.startupProbe!;
      expect(startup.periodSeconds! * startup.failureThreshold!).toBeGreaterThanOrEqual(120);
    });

    it('leaves the endpoints before the listener closes, and is stopped only after the grace', () => {
      const { waitPeriodSeconds, gracePeriodSeconds } = config.shutdown!;
      const readiness = container.readinessProbe!;
      // Long enough for every kube-proxy and a load balancer that follows readiness to stop routing here.
      expect(waitPeriodSeconds).toBeGreaterThanOrEqual(
        readiness.periodSeconds! * readiness.failureThreshold!,
      );
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(waitPeriodSeconds + gracePeriodSeconds);
      expect(container.lifecycle).toBeUndefined(); // the wait period replaces a preStop sleep
    });

    it("runs as the Dockerfile's non-root user, read-only, without privileges", () => {
      const dockerUser = /^USER (\S+)$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))![1]!;
      const uid = NODE_IMAGE_USERS[dockerUser] ?? Number(dockerUser);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        // `Always` would make the audit log group-readable at every mount, which modelgate refuses.
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.enableServiceLinks).toBe(false); // MODELGATE_* variables of a Service named modelgate
    });

    it('mounts writable volumes where modelgate writes, and only there', () => {
      const claims = (workload.spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name);
      const backing = (name: string) => {
        if (claims.includes(name)) return 'claim';
        const volume = pod.volumes?.find((v) => v.name === name);
        return volume?.emptyDir ? 'emptyDir' : volume?.configMap ? 'configMap' : 'none';
      };
      const writable = (container.volumeMounts ?? []).filter((m) => !m.readOnly);
      for (const mount of writable) expect(['claim', 'emptyDir']).toContain(backing(mount.name));
      const under = (dir: string) =>
        writable.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`));
      expect(under(config.dataDir)).toBeDefined();
      expect(under('/tmp')).toBeDefined(); // replays write their bundles under os.tmpdir()
      expect(writable.map((m) => m.mountPath).sort()).toEqual(
        [
          ...new Set([
            under(config.dataDir)!.mountPath,
            under('/tmp')!.mountPath,
            ...(sqlite ? [path.dirname(config.db)] : []),
          ]),
        ].sort(),
      );
      if (sqlite) {
        // The audit log outlives the pod: on the claim, never on an emptyDir.
        expect(backing(under(path.dirname(config.db))!.name)).toBe('claim');
        expect(workload.spec.volumeClaimTemplates![0]!.spec.accessModes).toEqual(['ReadWriteOnce']);
      }
    });

    it('requests and limits CPU and memory as measured in bench/RESULTS.md', () => {
      const { requests = {}, limits = {} } = container.resources ?? {};
      for (const resource of ['cpu', 'memory']) {
        expect({ resource, request: requests[resource] }).toEqual({ resource, request: expect.any(String) });
        expect({ resource, limit: limits[resource] }).toEqual({ resource, limit: expect.any(String) });
      }
      expect(quantity(requests.memory!)).toBe(quantity(limits.memory!));
      // Peak RSS at saturation: 474 MiB on SQLite, 351 MiB on PostgreSQL (bench/RESULTS.md, "Load").
      expect(quantity(limits.memory!)).toBeGreaterThan((sqlite ? 474 : 351) * 2 ** 20);
      expect(quantity(requests.cpu!)).toBeLessThanOrEqual(quantity(limits.cpu!));
      // Node sees the node's cores, not the limit: the configuration sizes the screening threads to the limit.
      expect(config.screening?.threads).toBeGreaterThanOrEqual(1);
      expect(config.screening!.threads! + 1).toBeLessThanOrEqual(quantity(limits.cpu!));
    });

    if (sqlite) {
      it('never runs two writers of the SQLite file', () => {
        expect(workload.kind).toBe('StatefulSet');
        expect(workload.spec.replicas).toBe(1);
      });
    } else {
      it('rolls replicas one at a time and lets drains take one at a time', () => {
        expect(workload.spec.replicas).toBeGreaterThanOrEqual(2);
        expect(workload.spec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
        const budget = manifests.find((m) => m.kind === 'PodDisruptionBudget')!;
        expect(budget.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
        expect(podLabels(workload)).toMatchObject(
          (budget.spec!.selector as { matchLabels: Record<string, string> }).matchLabels,
        );
        expect(workload.spec.volumeClaimTemplates).toBeUndefined();
      });
    }
  });
});

function podLabels(workload: Workload): Record<string, string> {
  return workload.spec.template.metadata.labels;
}
