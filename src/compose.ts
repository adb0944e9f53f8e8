import type { Logger } from 'pino';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { auditMigrations } from './audit/audit-migrations';
import { openDatabase } from './audit/database';
import { SqliteAuditStore } from './audit/sqlite-audit-store';
import type { Config } from './config/config';
import type { DecisionDeps } from './decision/decision-deps';
import { createTokenVerifier, ensureDevIssuer, loadTrustedIssuers, type TrustedIssuer } from './identity';
import { PolicyHolder } from './policy/policy-holder';
import { defaultBodyLimits } from './schemas/body-limits';
import { createApp } from './server/app';
import { listen, type HttpServer } from './server/http-server';
import { auditRoutes } from './server/audit-routes';
import { usageRoutes } from './server/usage-routes';
import { MemoryUsageTracker } from './usage/memory-usage-tracker';
import { UsageLedger } from './usage/usage-ledger';
import { usageMigrations } from './usage/usage-migrations';
import { UsageView } from './usage/usage-view';
import { ThreadedAuditStore } from './writer/threaded-audit-store';
import type { AuditStore } from './audit/audit-store';
import { ConfigError } from './errors';
import { auditPgMigrations } from './postgres/audit-pg-migrations';
import { migratePg } from './postgres/pg-migrations';
import { createPgPool, redactUrl } from './postgres/pg-pool';
import { PgUsageHistory } from './postgres/pg-usage-history';
import { PgUsageTracker } from './postgres/pg-usage-tracker';
import type { UsageTracker } from './usage/usage-tracker';
import { PostgresAuditStore } from './postgres/postgres-audit-store';
import { usagePgMigrations } from './postgres/usage-pg-migrations';
import { WriterThread } from './writer/writer-client';

/** A running modelgate: its address, and how to reload the policy or stop it. */
export interface RunningService {
  url: string;
  port: number;
  reloadPolicy(): Promise<void>;
  close(): Promise<void>;
}

const BUNDLE_RETRY_MS = 5_000;
const RESERVATION_SWEEP_MS = 60_000;

/** The composition root: wires config into concrete classes and starts the HTTP server. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const issuers = trustedIssuers(config, logger);
  const verifier = createTokenVerifier(issuers, { logger });
  await verifier.prefetchKeys();

  const stores = config.database
    ? await openPostgresStores(config, logger)
    : await openSqliteStores(config, logger);
  const { store, usage, ledger } = stores;

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
    auditorScope: config.auditorScope,
    now: Date.now,
    logger,
  };
  const app = createApp({
    decision,
    bodyLimitBytes: config.limits.bodyBytes,
    defaultDecision: config.defaultDecision,
    readiness: { policyLoaded: () => policy.current() !== undefined, storeOpen: stores.ready },
    extraRoutes: (a, helpers) => {
      auditRoutes(a, helpers, { decision, store, verifyKeys: checkpointPublicKeys(config) });
      usageRoutes(a, helpers, {
        decision,
        store,
        ledger,
        view: new UsageView(usage, stores.reports, policy),
      });
    },
  });
  const http: HttpServer = await listen(app, config.port, config.host).catch(async (err: unknown) => {
    // Nothing may keep the process alive after a failed start: stop the writer thread and timers.
    clearInterval(retry);
    await stores.close();
    throw listenError(err, config);
  });
  const url = `http://${formatHost(http.address.address)}:${http.address.port}`;
  logger.info(
    { url, db: config.database ? redactUrl(config.database.url) : config.db, bundle: config.bundle },
    'modelgate listening',
  );

  return {
    url,
    port: http.address.port,
    reloadPolicy: async () => {
      await policy.load();
    },
    close: async () => {
      clearInterval(retry);
      await http.close();
      await stores.close();
      logger.info('modelgate stopped');
    },
  };
}

/** The stores of one process: the audit log, usage counters and ledger, and what /ready checks. */
interface Stores {
  store: AuditStore;
  usage: UsageTracker;
  ledger: UsageLedger;
  reports: ConstructorParameters<typeof UsageView>[1];
  ready(): boolean;
  close(): Promise<void>;
}

// The embedded default. One database for the audit log and the usage reports: usage is derived from
// the log. This thread's connection migrates it and reads; the writer thread's connection does every write.
async function openSqliteStores(config: Config, logger: Logger): Promise<Stores> {
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
  return {
    store,
    usage,
    ledger,
    reports: ledger,
    ready: () => store.open && db.open,
    close: async () => {
      await store.close();
      db.close();
    },
  };
}

// Several replicas on one PostgreSQL (database.url): one audit chain and one usage history for all.
// Migrations run under an advisory lock, so replicas starting together do not race.
async function openPostgresStores(config: Config, logger: Logger): Promise<Stores> {
  const url = config.database!.url;
  const pool = createPgPool({ url, max: config.database!.poolSize, logger });
  try {
    await migratePg(pool, [auditPgMigrations, usagePgMigrations], logger);
  } catch (err) {
    await pool.end();
    throw new ConfigError('database.url', `cannot prepare ${redactUrl(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const store = new PostgresAuditStore({ pool, checkpoint: config.audit.checkpoint, logger });
  const history = new PgUsageHistory(pool);
  // Reservations live in the database, exact across replicas: nothing to rebuild at start-up.
  const usage = new PgUsageTracker(pool, config.reservationTtlSeconds * 1000, logger);
  const ledger = new UsageLedger(null, usage, config.reservationTtlSeconds * 1000, history);
  // Every replica sweeps; a DELETE that finds nothing is cheap, and no replica is special.
  const sweep = setInterval(() => {
    usage.expire(Date.now()).catch((err: Error) => logger.warn({ err }, 'could not expire old reservations'));
  }, RESERVATION_SWEEP_MS).unref();
  return {
    store,
    usage,
    ledger,
    reports: history,
    ready: () => store.healthy,
    close: async () => {
      clearInterval(sweep);
      await store.close();
      await pool.end();
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

function listenError(err: unknown, config: Config): Error {
  const where = `${formatHost(config.host)}:${config.port}`;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new Error(
      `cannot listen on ${where}: the address is already in use; stop the other process or set PORT`,
      {
        cause: err,
      },
    );
  if (code === 'EACCES')
    return new Error(`cannot listen on ${where}: permission denied; use a port above 1023 or set PORT`, {
      cause: err,
    });
  return new Error(`cannot listen on ${where}: ${(err as Error).message}`, { cause: err });
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
