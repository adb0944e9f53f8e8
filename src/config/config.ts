import type { PolicyBundleConfig } from '../policy/bundle-config';
import type { KeyConfig } from '../policy/verification-keys';
import type { TracingConfig } from '../tracing/start-tracing';
import type { DpopSettings } from '../identity/dpop-checker';
import type { IssuerConfig } from '../schemas/issuer-config.schema';

/** The resolved configuration: every default applied, every path absolute. */
export interface Config {
  /** Environment overrides that replaced a different value of the config file (serve logs each); no secrets. */
  overriddenByEnv?: string[];
  port: number;
  host: string;
  db: string;
  /** PostgreSQL shared by replicas; when set it holds the audit log and usage reports instead of `db`. */
  database?: { url: string; poolSize: number };
  dataDir: string;
  /** The policy bundle file; for a bundle service, where its last good bundle is persisted. */
  bundle: string;
  bundleName?: string;
  /**
   * The policy bundle, its source and signing requirements (`bundle` or `bundles`). loadConfig always
   * sets it; a Config built in code without it serves `bundle` unwatched and unsigned.
   */
  policyBundle?: PolicyBundleConfig;
  /** Bundle verification keys by id (OPA `keys`), resolved by the composition root. */
  keys?: Record<string, KeyConfig>;
  /** Scope that may read GET /v1/status, besides the auditor scope (default modelgate:operate). */
  operatorScope?: string;
  entrypoint: string;
  /** The policy path of OPA's default decision, `POST /`. */
  defaultDecision: string;
  issuers: IssuerConfig[];
  /** DPoP (RFC 9449) proofs for tokens bound to a key; absent: the DPoP scheme is refused (bound tokens too). */
  dpop?: DpopSettings;
  /** Folder that relative paths in `issuers` resolve against. */
  baseDir: string;
  auditorScope: string;
  logLevel: string;
  limits: { bodyBytes: number; payloadChars: number; maxDepth: number; maxArrayItems: number };
  redactionFormat: string;
  /** The screening threads (src/screening/screening-pool.ts); absent (configs built in code) means the defaults. */
  screening?: ScreeningPoolConfig;
  audit: {
    synchronous: 'FULL' | 'NORMAL';
    checkpoint?: { privateKeyFile: string; everyRecords: number; everySeconds: number };
    /** What a record keeps of a request's context and a token's claims (see bound-record.ts). */
    contextBytes?: number;
    claimsBytes?: number;
    /** See rejection-aggregator.ts. */
    anonymousRecordsPerMinute?: number;
    anonymousSourcesPerMinute?: number;
    /** /ready warns when the database volume has less free space than this. */
    diskWarnFreeMb?: number;
  };
  reservationTtlSeconds: number;
  /** The most subjects whose usage is held in memory (see MemoryUsageTracker.enablePaging); default 100,000. */
  usageMaxSubjects?: number;
  /** The AuthZEN API: the entrypoint that answers it (default authzen/decision), and the PDP identifier. */
  authzen?: { entrypoint: string; policyDecisionPoint?: string };
  /** The console's OIDC sign-in, when configured. */
  consoleOidc?: { issuer: string; clientId: string; scope: string };
  /** Approvals; absent (e.g. in configs built by hand) means the defaults. */
  approvals?: ApprovalsConfig;
  /** Shutdown on SIGTERM/SIGINT; absent means DEFAULT_SHUTDOWN. */
  shutdown?: ShutdownConfig;
  /** Decision lineage; absent means the defaults (DEFAULT_MAX_PARENT_AGE_SECONDS). */
  lineage?: { maxParentAgeSeconds: number };
  /** The privileges report; absent means DEFAULT_ENTITLEMENTS_PATH. */
  reports?: { entitlementsPath: string };
  /** POST /v1/replay; absent means DEFAULT_REPLAY_TIMEOUT_SECONDS. */
  replay?: { timeoutSeconds: number };
  /** GET /metrics; absent = DEFAULT_METRICS. */
  metrics?: MetricsConfig;
  /** Level of the one log line per decision; absent = info. */
  decisionLines?: 'info' | 'debug' | 'trace' | 'off';
  /** Decision-log shipping; absent = off. */
  decisionLogs?: DecisionLogsConfig;
  /** OpenTelemetry tracing; absent = off. */
  tracing?: TracingConfig;
  /** Who may lower a reservation with a usage report (see usage-ledger.ts); default the scope only. */
  usageReporters?: { scope: string; identities: { issuer: string; subject?: string }[] };
  /** The file it came from, or null for embedded defaults. */
  source: string | null;
}

/** The approvals section, resolved. */
export interface ApprovalsConfig {
  approverScope: string;
  entrypoint: string;
  expirySweepSeconds: number;
  maxPendingPerSubject: number;
  publicUrl?: string;
  webhook?: {
    url: string;
    secretFile: string;
    maxAttempts: number;
    backoffMs: number;
    timeoutMs: number;
  };
}

/** GET /metrics: where it is served and to whom. */
export interface MetricsConfig {
  enabled: boolean;
  access: 'loopback' | 'scope' | 'open';
  scope: string;
  /** A separate metrics-only listener (no authentication); undefined = the service port. */
  port?: number;
  host: string;
  maxReasonCodes: number;
  subjectLabelLimit: number;
}

/** The metrics defaults: on, the service port, loopback callers only. */
export const DEFAULT_METRICS: MetricsConfig = {
  enabled: true,
  access: 'loopback',
  scope: 'modelgate:metrics',
  host: '127.0.0.1',
  maxReasonCodes: 100,
  subjectLabelLimit: 0,
};

/** Decision-log shipping, paths absolute. */
export interface DecisionLogsConfig {
  service?: {
    url: string;
    resource: string;
    bearerTokenFile?: string;
    tls?: { certFile?: string; keyFile?: string; caFile?: string };
    timeoutMs: number;
  };
  file?: { path: string };
  cursorDir: string;
  labels: Record<string, string>;
  maxEvents: number;
  maxBytes: number;
  maxDelayMs: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  /**
   * Nice value the shipping thread runs at (Linux; ignored elsewhere). The default, 19, gives it the
   * CPU only when the threads that serve decisions do not want it: under saturation the backlog waits
   * in the audit log instead of taking CPU from decisions, and goes out when the load drops.
   */
  threadNice: number;
}

/** Where screening runs: payloads over `inlineChars` of text go to `threads` threads with `budgetMs` each. */
export interface ScreeningPoolConfig {
  inlineChars: number;
  budgetMs: number;
  /** 0: the default (cores less one, at most 4, at least 1). */
  threads: number;
  /** Smaller payloads go to a thread with room; undefined: true with two cores or more. */
  shareSmall?: boolean;
  /** Texts whose findings each screening thread and the event loop remember; 0: none; undefined: the default. */
  cacheEntries?: number;
}

/** Seconds to keep serving, not ready, after a stop signal; then seconds in-flight requests get to finish. */
export interface ShutdownConfig {
  waitPeriodSeconds: number;
  gracePeriodSeconds: number;
}

/** OPA's defaults: no wait, 10 s of grace. */
export const DEFAULT_SHUTDOWN: ShutdownConfig = { waitPeriodSeconds: 0, gracePeriodSeconds: 10 };
