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
  /** The console's OIDC sign-in, when configured. */
  consoleOidc?: { issuer: string; clientId: string; scope: string };
  /** Approvals; absent (e.g. in configs built by hand) means the defaults. */
  approvals?: ApprovalsConfig;
  /** The file it came from, or null for embedded defaults. */
  source: string | null;
}

/** The approvals section, resolved. */
export interface ApprovalsConfig {
  approverScope: string;
  entrypoint: string;
  expirySweepSeconds: number;
  publicUrl?: string;
  webhook?: {
    url: string;
    secretFile: string;
    maxAttempts: number;
    backoffMs: number;
    timeoutMs: number;
  };
}
