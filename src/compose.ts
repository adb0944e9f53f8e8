import type { Logger } from 'pino';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { auditMigrations } from './audit/audit-migrations';
import { DEFAULT_RECORD_LIMITS } from './audit/bound-record';
import { DEFAULT_DISK_WARN_FREE_MB, diskProbe } from './audit/disk-space';
import { recordCountedRejections } from './decision/reject';
import { DEFAULT_AGGREGATION_LIMITS, RejectionAggregator } from './decision/rejection-aggregator';
import { openDatabase } from './audit/database';
import { databaseFiles, refuseShared } from './audit/file-permissions';
import { SqliteAuditStore } from './audit/sqlite-audit-store';
import type { Config } from './config/config';
import type { DecisionDeps } from './decision/decision-deps';
import {
  createTokenVerifier,
  ensureDevIssuer,
  loadTrustedIssuers,
  type TrustedIssuer,
  type VerifiedIdentity,
} from './identity';
import { PolicyHolder } from './policy/policy-holder';
import { defaultBodyLimits } from './schemas/body-limits';
import { createApp } from './server/app';
import { listen, type HttpServer } from './server/http-server';
import { auditRoutes } from './server/audit-routes';
import { usageRoutes } from './server/usage-routes';
import { MemoryUsageTracker } from './usage/memory-usage-tracker';
import { DEFAULT_REPORTER_SCOPE, UsageLedger } from './usage/usage-ledger';
import { usageMigrations } from './usage/usage-migrations';
import { UsageView } from './usage/usage-view';
import { ThreadedAuditStore } from './writer/threaded-audit-store';
import { WriterThread } from './writer/writer-client';

/** A running modelgate: its address, and how to reload the policy or stop it. */
export interface RunningService {
  url: string;
  port: number;
  reloadPolicy(): Promise<void>;
  close(): Promise<void>;
}

const BUNDLE_RETRY_MS = 5_000;

/** The composition root: wires config into concrete classes and starts the HTTP server. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  // Refused before anything is opened: the audit log and the signing key are for this user only.
  refuseShared(databaseFiles(config.db), 'db');
  if (config.audit.checkpoint) {
    refuseShared([config.audit.checkpoint.privateKeyFile], 'audit.checkpoint.private_key_file');
  }
  const issuers = trustedIssuers(config, logger);
  const verifier = createTokenVerifier(issuers, { logger });
  await verifier.prefetchKeys();

  // One database for the audit log and the usage reports: usage is derived from the log. This
  // thread's connection migrates it and reads; the writer thread's connection does every write.
  const db = openDatabase(config.db, [auditMigrations, usageMigrations], {
    synchronous: config.audit.synchronous,
    logger,
  });
  const writer = await WriterThread.start(
    { path: config.db, synchronous: config.audit.synchronous, checkpoint: config.audit.checkpoint },
    logger,
  ).catch((err: unknown) => {
    db.close();
    throw err;
  });
  const store = new ThreadedAuditStore(
    writer,
    SqliteAuditStore.open({ database: db, readonly: true, logger }),
  );
  const usage = new MemoryUsageTracker(config.reservationTtlSeconds * 1000);
  const ledger = new UsageLedger(db, usage, config.reservationTtlSeconds * 1000, writer);
  logger.info(ledger.restore(Date.now()), 'usage counters rebuilt from the audit log');

  const policy = new PolicyHolder(config.bundle, config.entrypoint, logger, config.bundleName);
  const retry = await loadPolicyOrRetry(policy, logger);

  const decision: DecisionDeps = {
    verifier,
    policy,
    recorder: store,
    usage,
    entrypoint: config.entrypoint,
    bodyLimits: {
      maxDepth: config.limits.maxDepth,
      maxArrayItems: config.limits.maxArrayItems,
      maxObjectKeys: defaultBodyLimits.maxObjectKeys,
    },
    screening: { maxChars: config.limits.payloadChars, redactionFormat: config.redactionFormat },
    rejections: new RejectionAggregator({
      individualPerMinute:
        config.audit.anonymousRecordsPerMinute ?? DEFAULT_AGGREGATION_LIMITS.individualPerMinute,
      maxKeys: config.audit.anonymousSourcesPerMinute ?? DEFAULT_AGGREGATION_LIMITS.maxKeys,
    }),
    recordLimits: {
      ...DEFAULT_RECORD_LIMITS,
      contextBytes: config.audit.contextBytes ?? DEFAULT_RECORD_LIMITS.contextBytes,
      claimsBytes: config.audit.claimsBytes ?? DEFAULT_RECORD_LIMITS.claimsBytes,
    },
    auditorScope: config.auditorScope,
    now: Date.now,
    logger,
  };
  const app = createApp({
    decision,
    bodyLimitBytes: config.limits.bodyBytes,
    readiness: {
      policyLoaded: () => policy.current() !== undefined,
      storeOpen: () => store.open && db.open,
      disk: diskProbe(config.db, config.audit.diskWarnFreeMb ?? DEFAULT_DISK_WARN_FREE_MB),
    },
    extraRoutes: (a, helpers) => {
      auditRoutes(a, helpers, { decision, store, verifyKeys: checkpointPublicKeys(config) });
      usageRoutes(a, helpers, {
        decision,
        store,
        ledger,
        view: new UsageView(usage, ledger, policy),
        isTrustedReporter: trustedReporter(config),
      });
    },
  });
  // Counted anonymous rejections are written once their minute is over.
  const counted = setInterval(() => void recordCountedRejections(decision), 10_000).unref();
  const http: HttpServer = await listen(app, config.port, config.host);
  const url = `http://${formatHost(http.address.address)}:${http.address.port}`;
  logger.info({ url, db: config.db, bundle: config.bundle }, 'modelgate listening');

  return {
    url,
    port: http.address.port,
    reloadPolicy: async () => {
      await policy.load();
    },
    close: async () => {
      clearInterval(retry);
      await http.close();
      clearInterval(counted);
      await recordCountedRejections(decision, true);
      await store.close();
      db.close();
      logger.info('modelgate stopped');
    },
  };
}

function trustedIssuers(config: Config, logger: Logger): TrustedIssuer[] {
  if (config.issuers.length > 0)
    return loadTrustedIssuers(config.issuers, { baseDir: config.baseDir, logger });
  const dev = ensureDevIssuer(config.dataDir);
  logger.warn(
    { issuer: dev.issuer, public_key: dev.publicKeyFile, created: dev.created },
    '*** DEVELOPMENT MODE: no issuers configured; trusting the local development issuer. ' +
      'Anyone with read access to its private key can mint tokens. Configure `issuers` before production. ***',
  );
  return [dev];
}

// A missing or broken bundle at start-up leaves the service up but not ready (every decision is a
// 503 policy_unavailable) and retries, so a bundle that arrives later is picked up.
async function loadPolicyOrRetry(policy: PolicyHolder, logger: Logger): Promise<NodeJS.Timeout | undefined> {
  try {
    await policy.load();
    return undefined;
  } catch (err) {
    logger.error(
      { err },
      'policy bundle not loaded: every decision is denied with policy_unavailable until it is',
    );
    const timer = setInterval(() => {
      policy.load().then(
        () => clearInterval(timer),
        () => undefined,
      );
    }, BUNDLE_RETRY_MS);
    timer.unref();
    return timer;
  }
}

// GET /v1/audit/verify checks checkpoints against the public half of the configured signing key.
function checkpointPublicKeys(config: Config): KeyObject[] | undefined {
  const file = config.audit.checkpoint?.privateKeyFile;
  return file ? [createPublicKey(createPrivateKey(readFileSync(file)))] : undefined;
}

// A gateway that saw the provider's bill may settle a decision down; see docs/audit.md, "Usage reports".
function trustedReporter(config: Config): (identity: VerifiedIdentity) => boolean {
  const { scope, identities } = config.usageReporters ?? { scope: DEFAULT_REPORTER_SCOPE, identities: [] };
  return ({ subject }) =>
    subject.scopes.includes(scope) ||
    identities.some(
      (r) => r.issuer === subject.issuer && (r.subject === undefined || r.subject === subject.id),
    );
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
