import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../errors';
import {
  DEFAULT_RECORDED_CLAIMS,
  issuerConfigSchema,
  type IssuerConfig,
  type JwtAlgorithm,
} from '../schemas/issuer-config.schema';
import { compileValidator } from '../schemas/validators';
import { describeKey, hmacMinBytes, keyFamilyOf, weakKeyProblem } from './algorithms';
import { keyCanVerify } from './key-source';
import { checkIssuerTemplate, checkTemplateOverlaps } from './issuer-template';
import { importJwks } from './jwks';
import { loadRequiredClaims } from './required-claims';
import { remoteUrlProblem } from './remote-url';
import { tokenType } from './token-type';
import {
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  type IssuerKeys,
  type TrustedIssuer,
  type VerificationKey,
} from './trusted-issuer';

/** Where relative paths and secrets are read from while loading issuers. */
export interface LoadIssuersOptions {
  /** The folder of the configuration file; key file paths are relative to it. */
  baseDir: string;
  /** Where `secret_env` names are looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The configuration key of the list, for error messages (default `issuers`). */
  key?: string;
  logger?: Logger;
}

const validateIssuerConfig = compileValidator<IssuerConfig>(issuerConfigSchema);
const KEY_SOURCES = ['public_key_file', 'jwks_file', 'jwks_url', 'discovery_url', 'secret_env'] as const;
const DEFAULT_CLOCK_SKEW_SECONDS = 30;

/** Returns the trusted issuers of a configuration's `issuers` list; throws ConfigError naming the first bad key. */
export function loadTrustedIssuers(entries: unknown, options: LoadIssuersOptions): TrustedIssuer[] {
  const listKey = options.key ?? 'issuers';
  if (!Array.isArray(entries)) throw new ConfigError(listKey, 'must be a list of issuers');
  if (entries.length === 0) throw new ConfigError(listKey, 'must name at least one trusted issuer');
  const seen = new Map<string, string>();
  const issuers = entries.map((entry: unknown, index) => {
    const key = `${listKey}[${index}]`;
    const config = validEntry(entry, key);
    const previous = seen.get(config.issuer);
    if (previous) throw new ConfigError(`${key}.issuer`, `duplicates ${previous}.issuer`);
    seen.set(config.issuer, key);
    return loadIssuer(config, key, options);
  });
  checkTemplateOverlaps(issuers, options.logger);
  return issuers;
}

function validEntry(entry: unknown, key: string): IssuerConfig {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ConfigError(key, 'must be an object');
  }
  // Checked before the schema so that the message names the five choices instead of five oneOf branches.
  const sources = KEY_SOURCES.filter((name) => name in entry);
  if (sources.length !== 1) {
    const found = sources.length === 0 ? 'none' : sources.join(' and ');
    throw new ConfigError(key, `set exactly one of ${KEY_SOURCES.join(', ')} (found ${found})`);
  }
  const [problem] = validateIssuerConfig.problems(entry);
  if (problem) throw new ConfigError(`${key}${pointerToPath(problem.pointer)}`, problem.message);
  return entry as IssuerConfig;
}

function loadIssuer(config: IssuerConfig, key: string, options: LoadIssuersOptions): TrustedIssuer {
  checkIssuerTemplate(config.issuer, config.tenants, key);
  const algorithms = [...config.algorithms] as JwtAlgorithm[];
  checkAlgorithmsMatchSource(config, algorithms, key);
  const keys = loadKeys(config, algorithms, key, options);
  if (keys.kind === 'static') checkKeysFitAlgorithms(config, keys.keys, algorithms, key);
  return {
    issuer: config.issuer,
    ...(config.tenants && { tenants: [...config.tenants] }),
    audiences: [...config.audiences],
    ...(config.audience_claim && { audienceClaim: config.audience_claim }),
    ...(config.token_types && { tokenTypes: config.token_types.map(tokenType) }),
    algorithms,
    clockSkewSeconds: config.clock_skew_seconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    maxTokenLifetimeSeconds: config.max_token_lifetime_seconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    recordedClaims: [...(config.recorded_claims ?? DEFAULT_RECORDED_CLAIMS)],
    ...(config.allowed_scopes && { allowedScopes: [...config.allowed_scopes] }),
    ...(config.scope_claims && { scopeClaims: [...config.scope_claims] }),
    ...(config.required_claims && {
      requiredClaims: loadRequiredClaims(config.required_claims, `${key}.required_claims`),
    }),
    keys,
    source: key,
  };
}

function checkAlgorithmsMatchSource(config: IssuerConfig, algorithms: JwtAlgorithm[], key: string): void {
  const hmac = algorithms.filter((alg) => keyFamilyOf(alg) === 'hmac');
  if ('secret_env' in config && hmac.length !== algorithms.length) {
    const others = algorithms.filter((alg) => !hmac.includes(alg));
    throw new ConfigError(
      `${key}.algorithms`,
      `an issuer with secret_env may list only HS256, HS384, HS512; remove ${others.join(', ')}`,
    );
  }
  if (!('secret_env' in config) && hmac.length > 0) {
    throw new ConfigError(
      `${key}.algorithms`,
      `${hmac.join(', ')} needs a shared secret: HS* algorithms are allowed only on an issuer with secret_env`,
    );
  }
}

function loadKeys(
  config: IssuerConfig,
  algorithms: JwtAlgorithm[],
  key: string,
  options: LoadIssuersOptions,
): IssuerKeys {
  if ('public_key_file' in config && config.public_key_file !== undefined) {
    return {
      kind: 'static',
      origin: 'public_key_file',
      keys: [readPem(config.public_key_file, `${key}.public_key_file`, options)],
      matchKid: false,
    };
  }
  if ('jwks_file' in config && config.jwks_file !== undefined) {
    const keys = readJwks(config.jwks_file, `${key}.jwks_file`, options);
    return { kind: 'static', origin: 'jwks_file', keys, matchKid: true };
  }
  if ('jwks_url' in config && config.jwks_url !== undefined) {
    return { kind: 'jwks_url', url: checkRemoteUrl(config.jwks_url, `${key}.jwks_url`) };
  }
  if ('discovery_url' in config && config.discovery_url !== undefined) {
    return { kind: 'discovery_url', url: checkDiscoveryUrl(config.discovery_url, `${key}.discovery_url`) };
  }
  const name = (config as { secret_env: string }).secret_env;
  return {
    kind: 'static',
    origin: 'secret_env',
    keys: [readSecret(name, algorithms, `${key}.secret_env`, options)],
    matchKid: false,
  };
}

function readPem(file: string, key: string, options: LoadIssuersOptions): VerificationKey {
  const text = readText(file, key, options);
  // createPublicKey would quietly derive a public key from a private one; a private key has no business here.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ConfigError(key, `${file} holds a private key; configure the issuer's public key only`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(text);
  } catch (error) {
    throw new ConfigError(key, `${file} is not a PEM public key or certificate`, { cause: error });
  }
  const weak = weakKeyProblem(publicKey);
  if (weak) throw new ConfigError(key, `${file} ${weak}`);
  return { key: publicKey };
}

function readJwks(file: string, key: string, options: LoadIssuersOptions): VerificationKey[] {
  let document: unknown;
  try {
    document = JSON.parse(readText(file, key, options));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(key, `${file} is not JSON`, { cause: error });
  }
  const { keys, skipped, problems } = importJwks(document);
  if (problems[0]) throw new ConfigError(key, `${file}: ${problems[0]}`);
  for (const note of skipped) options.logger?.info({ key }, `${file}: ${note}; key skipped`);
  if (keys.length === 0) throw new ConfigError(key, `${file} holds no signature keys`);
  return keys;
}

function readText(file: string, key: string, options: LoadIssuersOptions): string {
  const path = isAbsolute(file) ? file : resolve(options.baseDir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(key, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
}

function checkRemoteUrl(url: string, key: string): string {
  const problem = remoteUrlProblem(url, { plainHttpOnLoopback: true });
  if (problem) throw new ConfigError(key, problem);
  return url;
}

// OIDC Discovery and RFC 8414 both publish under /.well-known/; without it, the URL is most likely the issuer
// itself, pasted where its metadata document belongs, which would fail only at the first token.
function checkDiscoveryUrl(url: string, key: string): string {
  checkRemoteUrl(url, key);
  if (!new URL(url).pathname.includes('/.well-known/')) {
    throw new ConfigError(
      key,
      'must be the URL of the metadata document, with /.well-known/ in its path (e.g. <issuer>/.well-known/openid-configuration)',
    );
  }
  return url;
}

function readSecret(
  name: string,
  algorithms: JwtAlgorithm[],
  key: string,
  options: LoadIssuersOptions,
): VerificationKey {
  const value = (options.env ?? process.env)[name];
  if (value === undefined || value === '')
    throw new ConfigError(key, `environment variable ${name} is not set`);
  const needed = Math.max(...algorithms.map(hmacMinBytes));
  const length = Buffer.byteLength(value, 'utf8');
  // Never the value itself in the message: only its length.
  if (length < needed) {
    throw new ConfigError(
      key,
      `environment variable ${name} holds ${length} bytes; at least ${needed} are required`,
    );
  }
  return { key: createSecretKey(Buffer.from(value, 'utf8')) };
}

function checkKeysFitAlgorithms(
  config: IssuerConfig,
  keys: VerificationKey[],
  algorithms: JwtAlgorithm[],
  key: string,
): void {
  const source = KEY_SOURCES.find((name) => name in config) ?? 'keys';
  for (const alg of algorithms) {
    const fits = keys.some((k) => keyCanVerify(k, alg));
    if (fits) continue;
    const held = [...new Set(keys.map((k) => describeKey(k.key)))].join(', ');
    throw new ConfigError(
      `${key}.algorithms`,
      `${alg} cannot be verified with the keys in ${source} (${held})`,
    );
  }
}

// An ajv JSON pointer such as /algorithms/0 becomes .algorithms[0], to append to issuers[i].
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}
