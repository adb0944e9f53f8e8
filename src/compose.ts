import type { Logger } from 'pino';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { approvalMigrations } from './approvals/approval-migrations';
import { silentNotifier, type ApprovalNotifier } from './approvals/approval-notifier';
import { ApprovalService } from './approvals/approval-service';
import { SqliteApprovalStore } from './approvals/sqlite-approval-store';
import { WebhookNotifier } from './approvals/webhook-notifier';
import { OidcClient } from './console/oidc-client';
import { resolveApprovals } from './config/load-config';
import { auditMigrations } from './audit/audit-migrations';
import { openDatabase } from './audit/database';
import { SqliteAuditStore } from './audit/sqlite-audit-store';
import type { ApprovalsConfig, Config } from './config/config';
import type { DecisionDeps } from './decision/decision-deps';
import { ConfigError } from './errors';
import { createTokenVerifier, ensureDevIssuer, loadTrustedIssuers, type TrustedIssuer } from './identity';
import { PolicyHolder } from './policy/policy-holder';
import { defaultBodyLimits } from './schemas/body-limits';
import { createApp } from './server/app';
import { listen, type HttpServer } from './server/http-server';
import { approvalRoutes } from './server/approval-routes';
import { auditRoutes } from './server/audit-routes';
import { consoleRoutes } from './server/console-routes';
import { usageRoutes } from './server/usage-routes';
import { MemoryUsageTracker } from './usage/memory-usage-tracker';
import { UsageLedger } from './usage/usage-ledger';
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
  const issuers = trustedIssuers(config, logger);
  const verifier = createTokenVerifier(issuers, { logger });
  await verifier.prefetchKeys();

  const approvalsConfig = config.approvals ?? resolveApprovals(undefined, (p) => p);
  let serviceUrl = '';
  const oidc = consoleOidc(config, logger);
  const notifier = approvalNotifier(approvalsConfig, () => approvalsConfig.publicUrl ?? serviceUrl, logger);

  // One database for the audit log and the usage reports: usage is derived from the log. This
  // thread's connection migrates it and reads; the writer thread's connection does every write.
  const db = openDatabase(config.db, [auditMigrations, usageMigrations, approvalMigrations], {
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

  // Approvals: state in the same file (main connection), every event in the audit chain.
  const approvalStore = new SqliteApprovalStore(db);
  const approvals = new ApprovalService({
    store: approvalStore,
    recorder: store,
    notifier,
    logger,
    now: Date.now,
  });
  approvals.start(approvalsConfig.expirySweepSeconds * 1000);

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
    approvals,
  };
  const approvalApi = {
    decision,
    approvals,
    store: approvalStore,
    approverScope: approvalsConfig.approverScope,
    entrypoint: approvalsConfig.entrypoint,
  };
  const app = createApp({
    decision,
    bodyLimitBytes: config.limits.bodyBytes,
    readiness: { policyLoaded: () => policy.current() !== undefined, storeOpen: () => store.open && db.open },
    extraRoutes: (a, helpers) => {
      auditRoutes(a, helpers, { decision, store, verifyKeys: checkpointPublicKeys(config) });
      usageRoutes(a, helpers, { decision, store, ledger, view: new UsageView(usage, ledger, policy) });
      approvalRoutes(a, helpers, approvalApi);
      consoleRoutes(a, { oidc, helpers });
    },
  });
  const http: HttpServer = await listen(app, config.port, config.host);
  const url = `http://${formatHost(http.address.address)}:${http.address.port}`;
  serviceUrl = url;
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
      await approvals.stop();
      await store.close();
      db.close();
      logger.info('modelgate stopped');
    },
  };
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

// The console signs in only against an issuer modelgate already trusts.
function consoleOidc(config: Config, logger: Logger): OidcClient | undefined {
  const oidc = config.consoleOidc;
  if (!oidc) return undefined;
  if (!config.issuers.some((issuer) => issuer.issuer === oidc.issuer)) {
    throw new ConfigError('console.oidc.issuer', `${oidc.issuer} is not one of the trusted issuers`);
  }
  return new OidcClient(oidc, logger);
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

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
