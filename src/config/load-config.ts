import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_AUTHZEN_ENTRYPOINT } from '../decision/authzen';
import { ConfigError } from '../errors';
import { DEFAULT_RECORD_LIMITS } from '../audit/bound-record';
import { DEFAULT_REPORTER_SCOPE } from '../usage/usage-ledger';
import { DEFAULT_USAGE_MAX_SUBJECTS } from '../usage/memory-usage-tracker';
import { DEFAULT_AGGREGATION_LIMITS } from '../decision/rejection-aggregator';
import { DEFAULT_DISK_WARN_FREE_MB } from '../audit/disk-space';
import { defaultBodyLimits } from '../schemas/body-limits';
import { configSchema, type ConfigFile } from '../schemas/config.schema';
import { compileValidator } from '../schemas/validators';
import {
  DEFAULT_INLINE_CHARS,
  DEFAULT_MAX_CHARS,
  DEFAULT_REDACTION_FORMAT,
  DEFAULT_SCREENING_BUDGET_MS,
  DEFAULT_SCREENING_CACHE_ENTRIES,
} from '../screening';
import {
  DEFAULT_METRICS,
  DEFAULT_SHUTDOWN,
  type ApprovalsConfig,
  type Config,
  type DecisionLogsConfig,
} from './config';
import { explainConfigProblems } from './config-problems';
import { resolvePolicyBundle } from './resolve-bundles';
import {
  DEFAULT_DPOP_ALGORITHMS,
  DEFAULT_DPOP_CLOCK_SKEW_SECONDS,
  DEFAULT_DPOP_MAX_AGE_SECONDS,
  DEFAULT_DPOP_REPLAY_CACHE_ENTRIES,
  DEFAULT_DPOP_REPLAY_ENTRIES_PER_KEY,
  type DpopSettings,
} from '../identity/dpop-checker';
import { DEFAULT_DPOP_NONCE_LIFETIME_SECONDS } from '../identity/dpop-nonce';
import { DEFAULT_MAX_PARENT_AGE_SECONDS } from '../lineage/lineage-checks';
import { DEFAULT_ENTITLEMENTS_PATH } from '../reports/entitlement-grants';
import { DEFAULT_REPLAY_TIMEOUT_SECONDS } from '../replay/replay-runner';

const validateConfig = compileValidator<ConfigFile>(configSchema);

/** Where the shipped default bundle lives, whatever the working folder. */
export const DEFAULT_BUNDLE = path.resolve(__dirname, '..', '..', 'bundles', 'modelgate.tar.gz');

/**
 * Returns the configuration from the file named by MODELGATE_CONFIG (YAML or JSON), with env
 * overrides (PORT, HOST, MODELGATE_DB, MODELGATE_DATABASE_URL, MODELGATE_BUNDLE, MODELGATE_DATA_DIR, LOG_LEVEL) and
 * defaults; throws ConfigError naming the key and what is wrong.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const file = env.MODELGATE_CONFIG ? path.resolve(cwd, env.MODELGATE_CONFIG) : null;
  const raw = file ? readConfigFile(file) : {};
  const merged = applyEnv(raw, env, cwd);
  if (!validateConfig(merged)) {
    const [first, ...rest] = explainConfigProblems(validateConfig.problems(merged), configSchema);
    const key = pointerToKey(first?.pointer ?? '/');
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new ConfigError(key, `${first?.message ?? 'is invalid'}${fromEnv(key, env)}${more}`);
  }
  return { ...resolve(merged, file ? path.dirname(file) : cwd, file), overriddenByEnv: overridden(raw, env) };
}

// The environment overrides that replace a different value of the file: the container image sets PORT, HOST,
// MODELGATE_DB and MODELGATE_DATA_DIR, so a mounted file's own keys would otherwise be ignored without a word.
// The database URL is named, never shown: it may hold a password.
const ENV_KEYS: readonly (readonly [string, string])[] = [
  ['PORT', 'port'],
  ['HOST', 'host'],
  ['MODELGATE_DB', 'db'],
  ['MODELGATE_BUNDLE', 'bundle'],
  ['MODELGATE_DATA_DIR', 'data_dir'],
  ['LOG_LEVEL', 'log_level'],
];

// A wrong value the environment set is fixed there, not in the file: say which variable (never the URL's value).
function fromEnv(key: string, env: NodeJS.ProcessEnv): string {
  if (key === 'database.url' && env.MODELGATE_DATABASE_URL) {
    return ' (set by the environment: MODELGATE_DATABASE_URL)';
  }
  const name = ENV_KEYS.find(([, k]) => k === key)?.[0];
  return name && env[name] ? ` (set by the environment: ${name}=${env[name]})` : '';
}

function overridden(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const notes: string[] = [];
  for (const [name, key] of ENV_KEYS) {
    const value = env[name];
    const own = raw[key];
    if (value && own !== undefined && own !== null && String(own) !== value) {
      notes.push(`${name}=${value} replaces ${key}: ${String(own)}`);
    }
  }
  const url = (raw.database as { url?: unknown } | undefined)?.url;
  if (env.MODELGATE_DATABASE_URL && url !== undefined && url !== env.MODELGATE_DATABASE_URL) {
    notes.push('MODELGATE_DATABASE_URL replaces database.url');
  }
  return notes;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'MODELGATE_CONFIG',
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
      { cause: err },
    );
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      'MODELGATE_CONFIG',
      `${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('MODELGATE_CONFIG', `${file} must hold a mapping of keys`);
  }
  return parsed as Record<string, unknown>;
}

// A path in the environment is resolved against the current folder, as the shell that set it would: the
// config file's folder is for the file's own paths. The CLI's other commands resolve them the same way.
function applyEnv(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Record<string, unknown> {
  const merged = { ...raw };
  if (env.PORT !== undefined) merged.port = envInteger('PORT', env.PORT);
  if (env.HOST) merged.host = env.HOST;
  if (env.MODELGATE_DB) merged.db = path.resolve(cwd, env.MODELGATE_DB);
  if (env.MODELGATE_DATABASE_URL) {
    merged.database = { ...(raw.database as object | undefined), url: env.MODELGATE_DATABASE_URL };
  }
  if (env.MODELGATE_BUNDLE) merged.bundle = path.resolve(cwd, env.MODELGATE_BUNDLE);
  if (env.MODELGATE_DATA_DIR) merged.data_dir = path.resolve(cwd, env.MODELGATE_DATA_DIR);
  if (env.LOG_LEVEL) merged.log_level = env.LOG_LEVEL;
  return merged;
}

function envInteger(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number, got "${value}"`);
  return Number(value);
}

function resolve(file: ConfigFile, baseDir: string, source: string | null): Config {
  const at = (p: string) => path.resolve(baseDir, p);
  const dataDir = at(file.data_dir ?? '.modelgate');
  const checkpoint = file.audit?.checkpoint;
  const policyBundle = resolvePolicyBundle(file, { baseDir, dataDir, defaultBundle: DEFAULT_BUNDLE });
  return {
    port: file.port ?? 8080,
    host: file.host ?? '127.0.0.1',
    db: file.db ? at(file.db) : path.join(dataDir, 'modelgate.db'),
    database: file.database && { url: file.database.url, poolSize: file.database.pool_size ?? 10 },
    dataDir,
    bundle:
      policyBundle.source.kind === 'file'
        ? policyBundle.source.path
        : path.join(policyBundle.source.persistDir, 'bundle.tar.gz'),
    bundleName: policyBundle.name,
    policyBundle,
    keys: { ...(file.keys ?? {}) },
    operatorScope: file.operator_scope ?? 'modelgate:operate',
    entrypoint: file.entrypoint ?? 'modelgate/decision',
    defaultDecision: file.default_decision ?? file.entrypoint ?? 'modelgate/decision',
    issuers: [...(file.issuers ?? [])],
    dpop: file.dpop && resolveDpop(file.dpop, at),
    baseDir,
    auditorScope: file.auditor_scope ?? 'modelgate:audit',
    logLevel: file.log_level ?? 'info',
    limits: {
      bodyBytes: file.limits?.body_bytes ?? 1024 * 1024,
      payloadChars: file.limits?.payload_chars ?? DEFAULT_MAX_CHARS,
      maxDepth: file.limits?.max_depth ?? defaultBodyLimits.maxDepth,
      maxArrayItems: file.limits?.max_array_items ?? defaultBodyLimits.maxArrayItems,
    },
    redactionFormat: file.screening?.redaction_format ?? DEFAULT_REDACTION_FORMAT,
    screening: {
      inlineChars: file.screening?.inline_chars ?? DEFAULT_INLINE_CHARS,
      budgetMs: file.screening?.budget_ms ?? DEFAULT_SCREENING_BUDGET_MS,
      threads: file.screening?.threads ?? 0,
      shareSmall: file.screening?.share_small,
      cacheEntries: file.screening?.cache_entries ?? DEFAULT_SCREENING_CACHE_ENTRIES,
    },
    audit: {
      synchronous: file.audit?.synchronous ?? 'FULL',
      checkpoint: checkpoint && {
        privateKeyFile: at(checkpoint.private_key_file),
        everyRecords: checkpoint.every_records ?? 1000,
        everySeconds: checkpoint.every_seconds ?? 60,
      },
      contextBytes: file.audit?.context_bytes ?? DEFAULT_RECORD_LIMITS.contextBytes,
      claimsBytes: file.audit?.claims_bytes ?? DEFAULT_RECORD_LIMITS.claimsBytes,
      anonymousRecordsPerMinute:
        file.audit?.anonymous_records_per_minute ?? DEFAULT_AGGREGATION_LIMITS.individualPerMinute,
      anonymousSourcesPerMinute:
        file.audit?.anonymous_sources_per_minute ?? DEFAULT_AGGREGATION_LIMITS.maxKeys,
      diskWarnFreeMb: file.audit?.disk_warn_free_mb ?? DEFAULT_DISK_WARN_FREE_MB,
    },
    reservationTtlSeconds: file.usage?.reservation_ttl_seconds ?? 86400,
    usageMaxSubjects: file.usage?.max_subjects_in_memory ?? DEFAULT_USAGE_MAX_SUBJECTS,
    authzen: {
      entrypoint: file.authzen?.entrypoint ?? DEFAULT_AUTHZEN_ENTRYPOINT,
      policyDecisionPoint: file.authzen?.policy_decision_point,
    },
    approvals: resolveApprovals(file.approvals, at),
    consoleOidc: file.console?.oidc && {
      issuer: file.console.oidc.issuer,
      clientId: file.console.oidc.client_id,
      scope: file.console.oidc.scope ?? 'openid',
    },
    reports: { entitlementsPath: file.reports?.entitlements_path ?? DEFAULT_ENTITLEMENTS_PATH },
    replay: { timeoutSeconds: file.replay?.timeout_seconds ?? DEFAULT_REPLAY_TIMEOUT_SECONDS },
    lineage: { maxParentAgeSeconds: file.lineage?.max_parent_age_seconds ?? DEFAULT_MAX_PARENT_AGE_SECONDS },
    shutdown: {
      waitPeriodSeconds: file.shutdown?.wait_period_seconds ?? DEFAULT_SHUTDOWN.waitPeriodSeconds,
      gracePeriodSeconds: file.shutdown?.grace_period_seconds ?? DEFAULT_SHUTDOWN.gracePeriodSeconds,
    },
    metrics: {
      enabled: file.metrics?.enabled ?? DEFAULT_METRICS.enabled,
      access: file.metrics?.access ?? DEFAULT_METRICS.access,
      scope: file.metrics?.scope ?? DEFAULT_METRICS.scope,
      port: file.metrics?.port,
      host: file.metrics?.host ?? DEFAULT_METRICS.host,
      maxReasonCodes: file.metrics?.max_reason_codes ?? DEFAULT_METRICS.maxReasonCodes,
      subjectLabelLimit: file.metrics?.subject_label_limit ?? DEFAULT_METRICS.subjectLabelLimit,
    },
    decisionLines: file.logging?.decisions ?? 'info',
    decisionLogs: decisionLogs(file.decision_logs, at, file.db ? path.dirname(at(file.db)) : dataDir),
    tracing: file.tracing && {
      otlpEndpoint: file.tracing.otlp_endpoint,
      serviceName: file.tracing.service_name ?? 'modelgate',
      sampleRatio: file.tracing.sample_ratio ?? 1,
      followCallerSampling: file.tracing.follow_caller_sampling ?? true,
      headers: { ...file.tracing.headers },
      exportDelayMs: file.tracing.export_delay_ms ?? 5000,
    },
    usageReporters: {
      scope: file.usage?.reporter_scope ?? DEFAULT_REPORTER_SCOPE,
      identities: (file.usage?.trusted_reporters ?? []).map((r) => ({ ...r })),
    },
    source,
  };
}

/** Returns the dpop section with every default applied; throws ConfigError for a per-key share above the cache. */
function resolveDpop(section: NonNullable<ConfigFile['dpop']>, at: (p: string) => string): DpopSettings {
  const replayCacheEntries = section.replay_cache_entries ?? DEFAULT_DPOP_REPLAY_CACHE_ENTRIES;
  const perKey = section.replay_entries_per_key;
  if (perKey !== undefined && perKey > replayCacheEntries) {
    throw new ConfigError(
      'dpop.replay_entries_per_key',
      `must be at most dpop.replay_cache_entries (${replayCacheEntries}): one key could fill the cache`,
    );
  }
  const nonce = section.nonce;
  return {
    publicUrls: [...section.public_urls],
    algorithms: [...(section.algorithms ?? DEFAULT_DPOP_ALGORITHMS)],
    maxAgeSeconds: section.max_age_seconds ?? DEFAULT_DPOP_MAX_AGE_SECONDS,
    clockSkewSeconds: section.clock_skew_seconds ?? DEFAULT_DPOP_CLOCK_SKEW_SECONDS,
    replayCacheEntries,
    replayEntriesPerKey: Math.min(perKey ?? DEFAULT_DPOP_REPLAY_ENTRIES_PER_KEY, replayCacheEntries),
    ...(nonce && {
      nonce: {
        required: nonce.required,
        lifetimeSeconds: nonce.lifetime_seconds ?? DEFAULT_DPOP_NONCE_LIFETIME_SECONDS,
        ...(nonce.secret_file !== undefined && { secretFile: at(nonce.secret_file) }),
      },
    }),
  };
}

/** Returns the approvals section with every default applied (`section` absent: all defaults). */
export function resolveApprovals(
  section: ConfigFile['approvals'],
  at: (p: string) => string,
): ApprovalsConfig {
  const webhook = section?.webhook;
  return {
    approverScope: section?.approver_scope ?? 'modelgate:approve',
    entrypoint: section?.entrypoint ?? 'modelgate/approve',
    expirySweepSeconds: section?.expiry_sweep_seconds ?? 30,
    maxPendingPerSubject: section?.max_pending_per_subject ?? 20,
    publicUrl: section?.public_url,
    webhook: webhook && {
      url: webhook.url,
      secretFile: at(webhook.secret_file),
      maxAttempts: webhook.max_attempts ?? 5,
      backoffMs: webhook.backoff_ms ?? 1000,
      timeoutMs: webhook.timeout_ms ?? 5000,
    },
  };
}

// Shipping is on when a service or a file sink is configured; cursors live beside the database.
function decisionLogs(
  file: ConfigFile['decision_logs'],
  at: (p: string) => string,
  dbDir: string,
): DecisionLogsConfig | undefined {
  if (!file?.service && !file?.file) return undefined;
  const service = file.service;
  const tls = service?.tls;
  return {
    service: service && {
      url: service.url,
      resource: service.resource ?? '/logs',
      bearerTokenFile: service.bearer_token_file && at(service.bearer_token_file),
      tls: tls && {
        certFile: tls.cert_file && at(tls.cert_file),
        keyFile: tls.key_file && at(tls.key_file),
        caFile: tls.ca_file && at(tls.ca_file),
      },
      timeoutMs: (service.timeout_seconds ?? 30) * 1000,
    },
    file: file.file && { path: at(file.file.path) },
    cursorDir: file.cursor_dir ? at(file.cursor_dir) : dbDir,
    labels: { ...file.labels },
    maxEvents: file.max_events ?? 500,
    maxBytes: file.max_bytes ?? 4 * 1024 * 1024,
    maxDelayMs: file.max_delay_ms ?? 1000,
    minRetryDelayMs: file.min_retry_delay_ms ?? 500,
    maxRetryDelayMs: file.max_retry_delay_ms ?? 60_000,
    threadNice: file.thread_nice ?? 19,
  };
}

// "/issuers/0/algorithms" -> "issuers[0].algorithms": the way people write config keys.
function pointerToKey(pointer: string): string {
  const parts = pointer.split('/').slice(1);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return '(root)';
  return parts.reduce(
    (key, part) => (/^\d+$/.test(part) ? `${key}[${part}]` : key ? `${key}.${part}` : part),
    '',
  );
}
