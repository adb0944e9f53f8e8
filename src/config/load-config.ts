import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors';
import { defaultBodyLimits } from '../schemas/body-limits';
import { configSchema, type ConfigFile } from '../schemas/config.schema';
import { compileValidator } from '../schemas/validators';
import { DEFAULT_MAX_CHARS, DEFAULT_REDACTION_FORMAT } from '../screening';
import type { Config } from './config';

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
  const merged = applyEnv(raw, env);
  if (!validateConfig(merged)) {
    const [first, ...rest] = validateConfig.problems(merged);
    const key = pointerToKey(first?.pointer ?? '/');
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new ConfigError(key, `${first?.message ?? 'is invalid'}${more}`);
  }
  return resolve(merged, file ? path.dirname(file) : cwd, file);
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

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const merged = { ...raw };
  if (env.PORT !== undefined) merged.port = envInteger('PORT', env.PORT);
  if (env.HOST) merged.host = env.HOST;
  if (env.MODELGATE_DB) merged.db = env.MODELGATE_DB;
  if (env.MODELGATE_DATABASE_URL) {
    merged.database = { ...(raw.database as object | undefined), url: env.MODELGATE_DATABASE_URL };
  }
  if (env.MODELGATE_BUNDLE) merged.bundle = env.MODELGATE_BUNDLE;
  if (env.MODELGATE_DATA_DIR) merged.data_dir = env.MODELGATE_DATA_DIR;
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
  return {
    port: file.port ?? 8080,
    host: file.host ?? '127.0.0.1',
    db: file.db ? at(file.db) : path.join(dataDir, 'modelgate.db'),
    database: file.database && { url: file.database.url, poolSize: file.database.pool_size ?? 10 },
    dataDir,
    bundle: file.bundle ? at(file.bundle) : DEFAULT_BUNDLE,
    bundleName: file.bundle_name,
    entrypoint: file.entrypoint ?? 'modelgate/decision',
    defaultDecision: file.default_decision ?? file.entrypoint ?? 'modelgate/decision',
    issuers: [...(file.issuers ?? [])],
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
    audit: {
      synchronous: file.audit?.synchronous ?? 'FULL',
      checkpoint: checkpoint && {
        privateKeyFile: at(checkpoint.private_key_file),
        everyRecords: checkpoint.every_records ?? 1000,
        everySeconds: checkpoint.every_seconds ?? 60,
      },
    },
    reservationTtlSeconds: file.usage?.reservation_ttl_seconds ?? 86400,
    source,
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
