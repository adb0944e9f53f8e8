import type { SigningPolicy } from './bundle-signature';

/** Where the policy bundle comes from: a local file (watched) or an OPA bundle service. */
export type BundleSourceConfig = FileSourceConfig | HttpSourceConfig;

/** A `.tar.gz` or extracted folder on disk; re-read on change (debounced) and on SIGHUP. */
export interface FileSourceConfig {
  kind: 'file';
  path: string;
  watch: boolean;
}

/** OPA's bundle service API: `GET <url>/<resource>` with ETag, polling or long polling. */
export interface HttpSourceConfig {
  kind: 'http';
  /** The service name from `services`. */
  service: string;
  url: string;
  resource: string;
  bearer?: { scheme: string; token?: string; tokenFile?: string };
  clientTls?: { certFile: string; privateKeyFile: string };
  caCertFile?: string;
  responseHeaderTimeoutSeconds: number;
  polling: { minDelaySeconds: number; maxDelaySeconds: number; longPollingTimeoutSeconds?: number };
  /** Keep the last activated bundle in the data folder and serve it after a restart (OPA's `persist`). */
  persist: boolean;
  /** Where the persisted bundle lives: `<data_dir>/bundles/<name>/`. */
  persistDir: string;
}

/** The one policy bundle modelgate evaluates: its name, source and signature requirements. */
export interface PolicyBundleConfig {
  name: string;
  source: BundleSourceConfig;
  signing?: SigningPolicy;
}
