import type { IssuerConfig } from '../schemas/issuer-config.schema';

/** The resolved configuration: every default applied, every path absolute. */
export interface Config {
  port: number;
  host: string;
  db: string;
  /** PostgreSQL shared by replicas; when set it holds the audit log and usage reports instead of `db`. */
  database?: { url: string; poolSize: number };
  dataDir: string;
  bundle: string;
  bundleName?: string;
  entrypoint: string;
  /** The policy path of OPA's default decision, `POST /`. */
  defaultDecision: string;
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
  /** The file it came from, or null for embedded defaults. */
  source: string | null;
}
