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
  /** Who may lower a reservation with a usage report (see usage-ledger.ts); default the scope only. */
  usageReporters?: { scope: string; identities: { issuer: string; subject?: string }[] };
  /** The file it came from, or null for embedded defaults. */
  source: string | null;
}
