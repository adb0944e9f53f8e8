import type { TracingConfig } from '../tracing/start-tracing';
import type { IssuerConfig } from '../schemas/issuer-config.schema';

/** The resolved configuration: every default applied, every path absolute. */
export interface Config {
  port: number;
  host: string;
  db: string;
  dataDir: string;
  bundle: string;
  bundleName?: string;
  entrypoint: string;
  issuers: IssuerConfig[];
  /** Folder that relative paths in `issuers` resolve against. */
  baseDir: string;
  auditorScope: string;
  logLevel: string;
  limits: { bodyBytes: number; payloadChars: number; maxDepth: number; maxArrayItems: number };
  redactionFormat: string;
  audit: {
    synchronous: 'FULL' | 'NORMAL';
    checkpoint?: { privateKeyFile: string; everyRecords: number; everySeconds: number };
  };
  reservationTtlSeconds: number;
  /** GET /metrics; absent = DEFAULT_METRICS. */
  metrics?: MetricsConfig;
  /** Level of the one log line per decision; absent = info. */
  decisionLines?: 'info' | 'debug' | 'trace' | 'off';
  /** Decision-log shipping; absent = off. */
  decisionLogs?: DecisionLogsConfig;
  /** OpenTelemetry tracing; absent = off. */
  tracing?: TracingConfig;
  /** The file it came from, or null for embedded defaults. */
  source: string | null;
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
}
