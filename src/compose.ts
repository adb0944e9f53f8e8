import type { Logger } from 'pino';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { approvalMigrations } from './approvals/approval-migrations';
import { silentNotifier, type ApprovalNotifier } from './approvals/approval-notifier';
import { ApprovalService } from './approvals/approval-service';
import type { ApprovalStore } from './approvals/approval-store';
import { SqliteApprovalStore } from './approvals/sqlite-approval-store';
import { WebhookNotifier } from './approvals/webhook-notifier';
import { OidcClient } from './console/oidc-client';
import { resolveApprovals } from './config/load-config';
import { auditMigrations } from './audit/audit-migrations';
import { DEFAULT_RECORD_LIMITS } from './audit/bound-record';
import { DEFAULT_DISK_WARN_FREE_MB, diskProbe } from './audit/disk-space';
import { recordCountedRejections } from './decision/reject';
import { DEFAULT_AGGREGATION_LIMITS, RejectionAggregator } from './decision/rejection-aggregator';
import { lockAuditLog, type LockPurpose } from './audit/audit-log-lock';
import { openDatabase, type Db } from './audit/database';
import { databaseFiles, refuseShared, refuseSharedKey } from './audit/file-permissions';
import { SqliteAuditStore } from './audit/sqlite-audit-store';
import { DEFAULT_SHUTDOWN, type ApprovalsConfig, type Config } from './config/config';
import type { DecisionDeps, DecisionRecorder } from './decision/decision-deps';
import { appendStorable, type RecordPreparation } from './decision/record-privacy';
import { ConfigError } from './errors';
import {
  createTokenVerifier,
  DpopChecker,
  ensureDevIssuer,
  issuerKeysWarning,
  RequestAuthenticator,
  loadTrustedIssuers,
  type SharedReplayCache,
  trustsIssuer,
  type TrustedIssuer,
  type VerifiedIdentity,
} from './identity';
import { ActiveBundle } from './policy/active-bundle';
import { bundleName } from './policy/bundle';
import type { PolicyBundleConfig } from './policy/bundle-config';
import type { BundleSource } from './policy/bundle-source';
import { FileBundleSource } from './policy/file-bundle-source';
import { HttpBundleSource } from './policy/http-bundle-source';
import { loadVerificationKeys } from './policy/verification-keys';
import { DEFAULT_MAX_PARENT_AGE_SECONDS } from './lineage/lineage-checks';
import { defaultBodyLimits } from './schemas/body-limits';
import { createApp } from './server/app';
import { clientErrorListener } from './server/client-errors';
import { listen, type HttpServer } from './server/http-server';
import { approvalRoutes } from './server/approval-routes';
import { auditRoutes } from './server/audit-routes';
import { authzenRoutes } from './server/authzen-routes';
import { DEFAULT_AUTHZEN_ENTRYPOINT } from './decision/authzen';
import { statusRoutes, type StatusSection } from './server/status-routes';
import { consoleRoutes } from './server/console-routes';
import { lineageRoutes } from './server/lineage-routes';
import { replayRoutes } from './server/replay-routes';
import { reportRoutes } from './server/report-routes';
import { DEFAULT_REPLAY_TIMEOUT_SECONDS, ReplayRunner } from './replay/replay-runner';
import { DEFAULT_ENTITLEMENTS_PATH } from './reports/entitlement-grants';
import { usageRoutes } from './server/usage-routes';
import { DEFAULT_USAGE_MAX_SUBJECTS, MemoryUsageTracker } from './usage/memory-usage-tracker';
import { DEFAULT_REPORTER_SCOPE, UsageLedger } from './usage/usage-ledger';
import { usageMigrations } from './usage/usage-migrations';
import { UsageView } from './usage/usage-view';
import { ThreadedAuditStore } from './writer/threaded-audit-store';
import type { AuditStore } from './audit/audit-store';
import { sqliteLineageSource, type LineageSource } from './audit/lineage-query';
import { pgLineageSource } from './postgres/pg-lineage-source';
import type { AuditStoreStats } from './audit/sqlite-audit-store';
import { approvalPgMigrations } from './postgres/approval-pg-migrations';
import { dpopPgMigrations } from './postgres/dpop-pg-migrations';
import { auditPgMigrations } from './postgres/audit-pg-migrations';
import { migratePg } from './postgres/pg-migrations';
import { createPgPool, redactUrl } from './postgres/pg-pool';
import { PgApprovalStore } from './postgres/pg-approval-store';
import { PgDpopReplayCache } from './postgres/pg-dpop-replay-cache';
import { PgUsageHistory } from './postgres/pg-usage-history';
import { PgUsageTracker } from './postgres/pg-usage-tracker';
import { PostgresAuditStore } from './postgres/postgres-audit-store';
import { usagePgMigrations } from './postgres/usage-pg-migrations';
import { sqliteOnlyRoutes } from './server/sqlite-only-routes';
import type { UsageTracker } from './usage/usage-tracker';
import { WriterThread } from './writer/writer-client';
import { DEFAULT_METRICS } from './config/config';
import { allObservers } from './decision/decision-observer';
import { decisionLogLines } from './logging/decision-log-line';
import { diskUsage } from './metrics/disk-usage';
import { ServiceMetrics } from './metrics/service-metrics';
import { metricsListener, metricsRoutes } from './server/metrics-routes';
import type { ShippingStatus } from './shipping/decision-log-shipper';
import { startDecisionLogShipping, type DecisionLogShipping } from './shipping/start-shipping';
import { startTracing } from './tracing/start-tracing';
import { DEFAULT_SCREENING_CACHE_ENTRIES, ScreeningCache, ScreeningPool } from './screening';

/** A running modelgate: its address, and how to reload the policy or stop it. */
export interface RunningService {
  url: string;
  port: number;
  reloadPolicy(): Promise<void>;
  close(): Promise<void>;
  /** The metrics-only listener's URL, when metrics.port is set. */
  metricsUrl?: string;
  /** Where each decision-log sink stands (empty when shipping is off): for /v1/status. */
  decisionLogStatus(): ShippingStatus[];
}

const RESERVATION_SWEEP_MS = 60_000;
// Expired DPoP claims go within this of their window's end (120 s by default): the table stays near its live size.
const DPOP_SWEEP_MS = 10_000;

/** What a second `modelgate serve` on the same SQLite audit log is told. */
export const SERVE_LOCK: LockPurpose = {
  command: 'modelgate serve',
  advice:
    'two processes serving one SQLite audit log would each enforce budgets and rate limits alone. Stop the other ' +
    'one, give this one its own audit log (db, MODELGATE_DB or MODELGATE_DATA_DIR), or run several replicas on ' +
    'PostgreSQL (database.url; docs/operations.md)',
};

/** The composition root: wires config into concrete classes and starts the HTTP server. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  // Refused before anything is opened: the audit log and the signing key are for this user only.
  if (!config.database) refuseShared(databaseFiles(config.db), 'db');
  refuseSqliteOnly(config);
  if (config.audit.checkpoint) {
    refuseSharedKey(config.audit.checkpoint.privateKeyFile, 'audit.checkpoint.private_key_file');
  }
  // One process at a time serves from an SQLite audit log (audit-log-lock.ts); replicas share PostgreSQL instead.
  // Taken before anything else is opened and let go after everything closed; kept when a close fails half-way,
  // since what is left open may still write (the end of the process lets go of it then).
  const lock = config.database ? undefined : lockAuditLog(config.db, SERVE_LOCK);
  if (!lock) return wireService(config, logger);
  const service = await wireService(config, logger).catch((err: unknown) => {
    lock.release();
    throw err;
  });
  return {
    ...service,
    close: async () => {
      await service.close();
      lock.release();
    },
  };
}

// Wires and starts everything; startService has made the checks that come first and holds the lock.
async function wireService(config: Config, logger: Logger): Promise<RunningService> {
  const issuers = trustedIssuers(config, logger);
  const verifier = createTokenVerifier(issuers, { logger });
  // Built before anything is opened: a bad dpop.public_urls entry is a ConfigError that stops the start.
  const dpop = config.dpop && new DpopChecker(config.dpop, Date.now);
  if (config.dpop?.nonce && config.dpop.nonce.secretFile === undefined) {
    logger.warn(
      'dpop.nonce has no secret_file: nonces are made with a random secret of this process, which other replicas ' +
        '(and this one after a restart) refuse; set dpop.nonce.secret_file when there is more than one replica',
    );
  }
  const authenticator = new RequestAuthenticator(verifier, dpop, logger);
  await verifier.prefetchKeys();

  const approvalsConfig = config.approvals ?? resolveApprovals(undefined, (p) => p);
  let serviceUrl = '';
  const oidc = consoleOidc(config, issuers, logger);
  const notifier = approvalNotifier(approvalsConfig, () => approvalsConfig.publicUrl ?? serviceUrl, logger);

  const preparation: RecordPreparation = {
    limits: {
      ...DEFAULT_RECORD_LIMITS,
      contextBytes: config.audit.contextBytes ?? DEFAULT_RECORD_LIMITS.contextBytes,
      claimsBytes: config.audit.claimsBytes ?? DEFAULT_RECORD_LIMITS.claimsBytes,
    },
    redactionFormat: config.redactionFormat,
    cacheEntries: config.screening?.cacheEntries ?? DEFAULT_SCREENING_CACHE_ENTRIES,
  };
  const stores = config.database
    ? await openPostgresStores(config, logger, preparation)
    : await openSqliteStores(config, logger, preparation);
  const { store, recorder, usage, ledger, sqlite } = stores;
  // On PostgreSQL every replica claims each proof there too: one proof, one use, whichever replica it reaches.
  if (dpop && stores.dpopReplays) dpop.shareReplays(stores.dpopReplays);
  // What start-up has opened, let go in reverse order by close() and by a failed start: a failed start
  // must leave nothing running, since `modelgate serve` exits by letting its event loop drain.
  const opened: (() => unknown)[] = [() => stores.close()];
  const release = async () => {
    for (let step = opened.pop(); step; step = opened.pop()) await step();
  };
  try {
    const { policy, source } = policyBundle(config, logger);
    // A missing or refused bundle leaves the service up but not ready (every decision is a 503
    // policy_unavailable); the source keeps watching or polling, so a good bundle is picked up later.
    await source.start();
    opened.push(() => source.stop());
    // Whether each issuer's keys can verify tokens: /v1/status shows them, /ready warns (never fails) without.
    const statusSections: StatusSection[] = [
      { name: 'bundles', describe: () => [policy.status()] },
      { name: 'issuer_keys', describe: () => verifier.keyStatus() },
    ];
    // The audit log's disk: /ready warns below the threshold, /v1/status shows the figures. On
    // PostgreSQL the database's disk is the database server's to watch, not this process's.
    const disk = sqlite && diskProbe(config.db, config.audit.diskWarnFreeMb ?? DEFAULT_DISK_WARN_FREE_MB);
    const shutdown = config.shutdown ?? DEFAULT_SHUTDOWN;
    // Set by close(): /ready answers 503 from then on.
    let stopping = false;
    if (disk) statusSections.push({ name: 'disk', describe: disk });

    // Approvals: state beside the audit log (same file, or same PostgreSQL), every event in the audit chain.
    const approvalStore = stores.approvals;
    const approvals = new ApprovalService({
      store: approvalStore,
      recorder: store,
      notifier,
      logger,
      now: Date.now,
      maxPendingPerSubject: approvalsConfig.maxPendingPerSubject,
    });
    approvals.start(approvalsConfig.expirySweepSeconds * 1000);
    opened.push(() => approvals.stop());

    // Large payloads are screened on threads, so a hostile one cannot hold the event loop (docs/screening.md).
    const screeningPool = new ScreeningPool({
      logger,
      inlineChars: config.screening?.inlineChars,
      budgetMs: config.screening?.budgetMs,
      threads: config.screening?.threads,
      shareSmall: config.screening?.shareSmall,
      cacheEntries: config.screening?.cacheEntries,
    });
    opened.push(() => screeningPool.close());
    const decision: DecisionDeps = {
      authenticator,
      policy,
      recorder,
      usage,
      entrypoint: config.entrypoint,
      bodyLimits: {
        maxDepth: config.limits.maxDepth,
        maxArrayItems: config.limits.maxArrayItems,
        maxObjectKeys: defaultBodyLimits.maxObjectKeys,
      },
      screening: {
        maxChars: config.limits.payloadChars,
        redactionFormat: config.redactionFormat,
        pool: screeningPool,
      },
      rejections: new RejectionAggregator({
        individualPerMinute:
          config.audit.anonymousRecordsPerMinute ?? DEFAULT_AGGREGATION_LIMITS.individualPerMinute,
        maxKeys: config.audit.anonymousSourcesPerMinute ?? DEFAULT_AGGREGATION_LIMITS.maxKeys,
      }),
      recordPreparation: preparation,
      auditorScope: config.auditorScope,
      now: Date.now,
      logger,
      approvals,
      lineage: {
        find: (id) => store.get(id),
        maxParentAgeMs: (config.lineage?.maxParentAgeSeconds ?? DEFAULT_MAX_PARENT_AGE_SECONDS) * 1000,
      },
    };
    const approvalApi = {
      decision,
      approvals,
      store: approvalStore,
      approverScope: approvalsConfig.approverScope,
      entrypoint: approvalsConfig.entrypoint,
    };
    const metricsConfig = config.metrics ?? DEFAULT_METRICS;
    const metrics = metricsConfig.enabled
      ? new ServiceMetrics(
          {
            audit: store,
            disk: sqlite && (() => diskUsage(config.db)),
            activeReservations: stores.pendingReservations,
            policy,
            screening: screeningPool,
            issuerKeys: () => verifier.keyFetches(),
          },
          { maxReasonCodes: metricsConfig.maxReasonCodes, maxSubjects: metricsConfig.subjectLabelLimit },
        )
      : undefined;
    if (metrics && sqlite) sqlite.writer.observeCommits((timing) => metrics.committed(timing));
    const tracing = config.tracing && startTracing(config.tracing, logger);
    if (tracing) opened.push(() => tracing.shutdown());
    decision.observer = allObservers(
      [metrics, decisionLogLines(logger, config.decisionLines ?? 'info'), tracing?.observer],
      (err) => logger.error({ err }, 'a decision observer failed'),
    );
    // refuseSqliteOnly() made sure shipping is off on PostgreSQL.
    const shipping: DecisionLogShipping | undefined =
      config.decisionLogs &&
      sqlite &&
      (await startDecisionLogShipping(config.decisionLogs, {
        db: sqlite.db,
        dbFile: config.db,
        entrypoint: config.entrypoint,
        logger,
      }));
    // Stopped before the database closes: the shippers read it. What they have not sent yet goes out
    // after the restart, from the saved cursor.
    if (shipping) opened.push(() => shipping.stop());
    if (metrics && shipping) metrics.watchShipping(shipping);
    statusSections.push({ name: 'decision_logs', describe: () => shipping?.status() ?? [] });
    const metricsHttp =
      metrics && metricsConfig.port !== undefined
        ? await listen(metricsListener(metrics), metricsConfig.port, metricsConfig.host)
        : undefined;
    if (metricsHttp) opened.push(() => metricsHttp.close());
    const app = createApp({
      decision,
      bodyLimitBytes: config.limits.bodyBytes,
      defaultDecision: config.defaultDecision,
      readiness: {
        policyLoaded: () => policy.current() !== undefined,
        storeOpen: stores.ready,
        disk,
        keyWarnings: () => verifier.keyStatus().flatMap((status) => issuerKeysWarning(status) ?? []),
        stopping: () => stopping,
      },
      extraRoutes: (a, helpers) => {
        auditRoutes(a, helpers, { decision, store, verifyKeys: checkpointPublicKeys(config) });
        usageRoutes(a, helpers, {
          decision,
          store,
          ledger,
          view: new UsageView(usage, stores.reports, policy),
          isTrustedReporter: trustedReporter(config),
        });
        authzenRoutes(a, helpers, {
          decision,
          authzen: config.authzen ?? { entrypoint: DEFAULT_AUTHZEN_ENTRYPOINT },
        });
        statusRoutes(a, helpers, {
          decision,
          operatorScope: config.operatorScope ?? 'modelgate:operate',
          sections: statusSections,
        });
        approvalRoutes(a, helpers, approvalApi);
        consoleRoutes(a, { oidc, helpers });
        lineageRoutes(a, helpers, { decision, source: stores.lineage });
        if (metrics && !metricsHttp) {
          metricsRoutes(a, {
            exposition: () => metrics.exposition(),
            access: metricsConfig.access,
            scope: metricsConfig.scope,
            authenticator,
          });
        }
        if (!sqlite) {
          sqliteOnlyRoutes(a, helpers, { decision });
          return;
        }
        reportRoutes(a, helpers, {
          decision,
          db: config.db,
          bundle: config.bundle,
          bundleName: config.bundleName,
          entitlementsPath: config.reports?.entitlementsPath ?? DEFAULT_ENTITLEMENTS_PATH,
        });
        replayRoutes(a, helpers, {
          decision,
          replay: {
            active: () => policy.currentFiles(),
            entrypoint: config.entrypoint,
            db: config.db,
            runner: new ReplayRunner(config.replay?.timeoutSeconds ?? DEFAULT_REPLAY_TIMEOUT_SECONDS),
            now: Date.now,
          },
        });
      },
    });
    // Counted anonymous rejections are written once their minute is over.
    const counted = setInterval(() => void recordCountedRejections(decision), 10_000).unref();
    opened.push(async () => {
      clearInterval(counted);
      await recordCountedRejections(decision, true);
    });
    const unparsed = clientErrorListener(decision);
    const http: HttpServer = await listen(app, config.port, config.host, unparsed).catch((err: unknown) => {
      throw listenError(err, config);
    });
    const url = `http://${formatHost(http.address.address)}:${http.address.port}`;
    serviceUrl = url;
    logger.info(
      // The pid is what `kill -HUP` needs: under npm start, npm and a shell are its parents.
      {
        url,
        pid: process.pid,
        db: config.database ? redactUrl(config.database.url) : config.db,
        bundle: config.bundle,
      },
      'modelgate listening',
    );

    return {
      url,
      port: http.address.port,
      metricsUrl:
        metricsHttp && `http://${formatHost(metricsHttp.address.address)}:${metricsHttp.address.port}`,
      decisionLogStatus: () => shipping?.status() ?? [],
      reloadPolicy: async () => {
        await source.reload();
      },
      close: async () => {
        stopping = true;
        http.drain();
        if (shutdown.waitPeriodSeconds > 0) {
          logger.info(
            { seconds: shutdown.waitPeriodSeconds },
            'not ready; serving until the wait period is over',
          );
          await new Promise((resolve) => setTimeout(resolve, shutdown.waitPeriodSeconds * 1000));
        }
        await http.close(shutdown.gracePeriodSeconds * 1000);
        await release();
        logger.info('modelgate stopped');
      },
    };
  } catch (err) {
    await release().catch((releaseErr: unknown) =>
      logger.warn({ err: releaseErr }, 'could not release everything after a failed start'),
    );
    throw err;
  }
}

/** The stores of one process: audit log, usage counters, ledger and reports, approvals, and what /ready checks. */
interface Stores {
  store: AuditStore & {
    stats(): AuditStoreStats;
    readonly queueDepth: number;
    readonly open: boolean;
    close(): Promise<void>;
  };
  /** The store as decisions record into it: where their records are made storable (see storableRecord). */
  recorder: DecisionRecorder;
  usage: UsageTracker;
  ledger: UsageLedger;
  reports: ConstructorParameters<typeof UsageView>[1];
  approvals: ApprovalStore;
  lineage: LineageSource;
  /** SQLite only: the file and its writer, for the features that read the file directly. */
  sqlite?: { db: Db; writer: WriterThread };
  /** PostgreSQL only: the DPoP replay cache every replica shares. */
  dpopReplays?: SharedReplayCache;
  /** Reservations not yet settled, for metrics; absent when they live in a shared database. */
  pendingReservations?: () => number;
  ready(): boolean;
  close(): Promise<void>;
}

// The embedded default. One database for the audit log and the usage reports: usage is derived from
// the log. This thread's connection migrates it and reads; the writer thread's connection does every write.
async function openSqliteStores(
  config: Config,
  logger: Logger,
  preparation: RecordPreparation,
): Promise<Stores> {
  const db = openDatabase(config.db, [auditMigrations, usageMigrations, approvalMigrations], {
    synchronous: config.audit.synchronous,
    logger,
  });
  const writer = await WriterThread.start(
    {
      path: config.db,
      synchronous: config.audit.synchronous,
      checkpoint: config.audit.checkpoint,
      preparation,
    },
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
  usage.enablePaging({
    maxSubjects: config.usageMaxSubjects ?? DEFAULT_USAGE_MAX_SUBJECTS,
    load: (subject, nowMs) => ledger.restore(nowMs, subject),
  });
  logger.info(ledger.restore(Date.now()), 'usage counters rebuilt from the audit log');
  return {
    store,
    recorder: store,
    usage,
    ledger,
    reports: ledger,
    // Verdicts go through the writer thread, in the transaction of their audit record.
    approvals: new SqliteApprovalStore(db, store),
    lineage: sqliteLineageSource(db),
    sqlite: { db, writer },
    pendingReservations: () => usage.stats().pendingReservations,
    ready: () => store.open && db.open,
    close: async () => {
      await store.close();
      db.close();
    },
  };
}

// Several replicas on one PostgreSQL (database.url): one audit chain, one usage history and one set
// of approvals for all. Migrations run under an advisory lock, so replicas starting together do not race.
async function openPostgresStores(
  config: Config,
  logger: Logger,
  preparation: RecordPreparation,
): Promise<Stores> {
  const url = config.database!.url;
  const pool = createPgPool({ url, max: config.database!.poolSize, logger });
  try {
    await migratePg(
      pool,
      [auditPgMigrations, usagePgMigrations, approvalPgMigrations, dpopPgMigrations],
      logger,
    );
  } catch (err) {
    await pool.end();
    throw new ConfigError('database.url', `cannot prepare ${redactUrl(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const store = new PostgresAuditStore({ pool, checkpoint: config.audit.checkpoint, logger });
  const declared = new ScreeningCache(preparation.cacheEntries ?? 0);
  const history = new PgUsageHistory(pool);
  // Reservations live in the database, exact across replicas: nothing to rebuild at start-up.
  const usage = new PgUsageTracker(pool, config.reservationTtlSeconds * 1000, logger);
  const ledger = new UsageLedger(null, usage, config.reservationTtlSeconds * 1000, history);
  // Every replica sweeps; a DELETE that finds nothing is cheap, and no replica is special.
  const sweep = setInterval(() => {
    usage.expire(Date.now()).catch((err: Error) => logger.warn({ err }, 'could not expire old reservations'));
  }, RESERVATION_SWEEP_MS).unref();
  const dpopReplays = new PgDpopReplayCache(pool);
  // Only a service that checks DPoP proofs claims them; every such replica sweeps, as for reservations.
  const stopDpopSweep = config.dpop ? dpopReplays.sweepEvery(DPOP_SWEEP_MS, logger) : () => undefined;
  return {
    store,
    // No writer thread here: records are made storable on the event loop, before they go to the database.
    recorder: {
      append: (record) => store.append(record),
      appendDecision: (record) => appendStorable((r) => store.append(r), record, preparation, declared),
    },
    usage,
    ledger,
    reports: history,
    // New approvals, verdicts and expiries are made in the transaction of their audit record.
    approvals: new PgApprovalStore(pool, store),
    lineage: pgLineageSource(pool),
    dpopReplays,
    ready: () => store.healthy,
    close: async () => {
      clearInterval(sweep);
      stopDpopSweep();
      await store.close();
      await pool.end();
    },
  };
}

// Decision-log shipping reads the SQLite file directly; with database.url there is none to read, and
// shipping nothing while saying nothing would lose the log. Refused at start-up, naming the setting.
function refuseSqliteOnly(config: Config): void {
  if (config.database && config.decisionLogs) {
    throw new ConfigError(
      'decision_logs',
      'decision-log shipping reads the SQLite audit log and is not available with database.url; ' +
        'remove decision_logs (or database.url) — see docs/operations.md',
    );
  }
}

// A webhook when one is configured; its link points at the console of the public URL.
function approvalNotifier(config: ApprovalsConfig, baseUrl: () => string, logger: Logger): ApprovalNotifier {
  const hook = config.webhook;
  if (!hook) return silentNotifier;
  let secret: string;
  try {
    secret = readFileSync(hook.secretFile, 'utf8').trim();
  } catch (err) {
    throw new ConfigError('approvals.webhook.secret_file', `cannot read ${hook.secretFile}`, { cause: err });
  }
  if (secret.length < 16)
    throw new ConfigError('approvals.webhook.secret_file', 'the secret is shorter than 16 characters');
  return new WebhookNotifier(
    {
      url: hook.url,
      secret,
      consoleUrl: () => `${baseUrl().replace(/\/+$/, '')}/console/`,
      maxAttempts: hook.maxAttempts,
      backoffMs: hook.backoffMs,
      timeoutMs: hook.timeoutMs,
      maxInFlight: 1000,
    },
    logger,
  );
}

// The console signs in only against an issuer modelgate already trusts: for a {tenantid} template, a listed
// tenant's own issuer, whose tokens name it and whose discovery document is its own.
function consoleOidc(config: Config, issuers: TrustedIssuer[], logger: Logger): OidcClient | undefined {
  const oidc = config.consoleOidc;
  if (!oidc) return undefined;
  if (!trustsIssuer(issuers, oidc.issuer)) {
    throw new ConfigError('console.oidc.issuer', `${oidc.issuer} is not one of the trusted issuers`);
  }
  // A template's discovery_url is the common document, which names the template: a tenant's own is derived.
  const keys = issuers.find((entry) => entry.issuer === oidc.issuer && !entry.tenants)?.keys;
  const discoveryUrl = keys?.kind === 'discovery_url' ? keys.url : undefined;
  return new OidcClient({ ...oidc, ...(discoveryUrl !== undefined && { discoveryUrl }) }, logger);
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

// The policy in force and where it comes from: a watched file, or an OPA bundle server.
function policyBundle(config: Config, logger: Logger): { policy: ActiveBundle; source: BundleSource } {
  const bundle: PolicyBundleConfig = config.policyBundle ?? {
    name: config.bundleName ?? bundleName(config.bundle),
    source: { kind: 'file', path: config.bundle, watch: false },
  };
  const where =
    bundle.source.kind === 'file'
      ? `file:${bundle.source.path}`
      : `${bundle.source.url}/${bundle.source.resource}`;
  const policy = new ActiveBundle({
    name: bundle.name,
    source: where,
    entrypoint: config.entrypoint,
    signing: bundle.signing,
    keys: loadVerificationKeys(config.keys, config.baseDir),
    logger,
  });
  const source =
    bundle.source.kind === 'file'
      ? new FileBundleSource(policy, bundle.source)
      : new HttpBundleSource(policy, bundle.source, { logger });
  return { policy, source };
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
