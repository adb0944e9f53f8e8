import path from 'node:path';
import { ConfigError } from '../errors';
import type { PolicyBundleConfig } from '../policy/bundle-config';
import { bundleName } from '../policy/bundle';
import type { ConfigFile } from '../schemas/config.schema';

const DEFAULT_HEADER_TIMEOUT_SECONDS = 10;
// OPA's defaults: poll every 60 to 120 seconds.
const DEFAULT_MIN_DELAY_SECONDS = 60;
const DEFAULT_MAX_DELAY_SECONDS = 120;

/**
 * Returns the policy bundle's configuration: `bundles.<name>` (OPA style: a `file`, or a `service`
 * and `resource`) or the simple `bundle` path; throws ConfigError naming the key that is wrong.
 */
export function resolvePolicyBundle(
  file: ConfigFile,
  where: { baseDir: string; dataDir: string; defaultBundle: string },
): PolicyBundleConfig {
  const at = (p: string) => path.resolve(where.baseDir, p);
  if (!file.bundles) {
    const location = file.bundle ? at(file.bundle) : where.defaultBundle;
    return {
      name: file.bundle_name ?? bundleName(location),
      source: { kind: 'file', path: location, watch: true },
    };
  }
  if (file.bundle !== undefined || file.bundle_name !== undefined) {
    throw new ConfigError('bundles', 'use either bundle/bundle_name (MODELGATE_BUNDLE) or bundles, not both');
  }
  const [name, entry] = Object.entries(file.bundles)[0]!;
  const key = `bundles.${name}`;
  const signing = entry.signing && {
    required: entry.signing.required ?? true,
    keyId: entry.signing.keyid,
    scope: entry.signing.scope,
    excludeFiles: [...(entry.signing.exclude_files ?? [])],
  };
  if (signing?.keyId && !file.keys?.[signing.keyId]) {
    throw new ConfigError(`${key}.signing.keyid`, `no key "${signing.keyId}" in keys`);
  }
  if ((entry.file === undefined) === (entry.service === undefined)) {
    throw new ConfigError(key, 'needs exactly one of file or service');
  }
  if (entry.file !== undefined) {
    return { name, signing, source: { kind: 'file', path: at(entry.file), watch: entry.watch ?? true } };
  }
  const service = file.services?.[entry.service!];
  if (!service) throw new ConfigError(`${key}.service`, `no service "${entry.service}" in services`);
  const min = entry.polling?.min_delay_seconds ?? DEFAULT_MIN_DELAY_SECONDS;
  const max = entry.polling?.max_delay_seconds ?? Math.max(min, DEFAULT_MAX_DELAY_SECONDS);
  if (max < min) throw new ConfigError(`${key}.polling`, 'max_delay_seconds is below min_delay_seconds');
  const bearer = service.credentials?.bearer;
  const tls = service.credentials?.client_tls;
  return {
    name,
    signing,
    source: {
      kind: 'http',
      service: entry.service!,
      url: service.url.replace(/\/+$/, ''),
      resource: (entry.resource ?? `bundles/${name}`).replace(/^\/+/, ''),
      bearer: bearer && {
        scheme: bearer.scheme ?? 'Bearer',
        token: bearer.token,
        tokenFile: bearer.token_path && at(bearer.token_path),
      },
      clientTls: tls && { certFile: at(tls.cert), privateKeyFile: at(tls.private_key) },
      caCertFile: service.tls?.ca_cert && at(service.tls.ca_cert),
      responseHeaderTimeoutSeconds: service.response_header_timeout_seconds ?? DEFAULT_HEADER_TIMEOUT_SECONDS,
      polling: {
        minDelaySeconds: min,
        maxDelaySeconds: max,
        longPollingTimeoutSeconds: entry.polling?.long_polling_timeout_seconds,
      },
      persist: entry.persist ?? true,
      persistDir: path.join(where.dataDir, 'bundles', name),
    },
  };
}
