import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import jwt from 'jsonwebtoken';
import { ConfigError } from '../errors';
import { jwkThumbprint, thumbprintMembers } from './jwk-thumbprint';
import type { TrustedIssuer } from './trusted-issuer';

/** The `iss` of development tokens. */
export const DEV_ISSUER = 'modelgate-dev';
/** The `aud` of development tokens unless another is asked for. */
export const DEV_AUDIENCE = 'modelgate';
/** Development tokens live at most this long: they are for a laptop, not for a deployment. */
export const DEV_TOKEN_MAX_TTL_SECONDS = 7 * 24 * 3600;

const DEFAULT_TTL_SECONDS = 3600;
const CONFIG_KEY = 'dev-issuer';

/** The development issuer to trust, with where its key lives and whether this call created it. */
export interface DevIssuer extends TrustedIssuer {
  kid: string;
  publicKeyFile: string;
  privateKeyFile: string;
  /** True when this call generated the key pair (the server says so loudly). */
  created: boolean;
}

/** What a development token says; everything but `sub` has a default. */
export interface DevTokenOptions {
  sub: string;
  scopes?: string[];
  /** The RFC 8693 actor: an agent id (becomes `{ sub: id }`) or a whole `act` object. */
  act?: string | Record<string, unknown>;
  ttlSeconds?: number;
  audience?: string | string[];
  /** Extra claims; iss, sub, aud, iat, exp, jti, scope and act always come from the options above. */
  claims?: Record<string, unknown>;
  /** The clock, in unix milliseconds (default `Date.now()`). */
  now?: number;
}

interface DevKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  privateKeyFile: string;
  publicKeyFile: string;
  created: boolean;
}

/** Returns the development issuer, generating its ES256 key pair into `<dataDir>/dev-issuer/` on first use. */
export function ensureDevIssuer(dataDir: string): DevIssuer {
  const pair = loadDevKeyPair(dataDir);
  return {
    issuer: DEV_ISSUER,
    audiences: [DEV_AUDIENCE],
    algorithms: ['ES256'],
    clockSkewSeconds: 30,
    // The token command mints up to this; the default day would refuse its own --ttl 7d.
    maxTokenLifetimeSeconds: DEV_TOKEN_MAX_TTL_SECONDS,
    keys: {
      kind: 'static',
      origin: 'development',
      keys: [{ key: pair.publicKey, kid: pair.kid }],
      // Every dev token names its key: a token from another data directory is key_unknown, not a bad signature.
      matchKid: true,
    },
    source: CONFIG_KEY,
    kid: pair.kid,
    publicKeyFile: pair.publicKeyFile,
    privateKeyFile: pair.privateKeyFile,
    created: pair.created,
  };
}

/** Returns a development token signed by the development issuer (created on first use). */
export function mintDevToken(dataDir: string, options: DevTokenOptions): string {
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > DEV_TOKEN_MAX_TTL_SECONDS) {
    throw new RangeError(`ttl must be a whole number of seconds between 1 and ${DEV_TOKEN_MAX_TTL_SECONDS}`);
  }
  if (typeof options.sub !== 'string' || options.sub.trim() === '')
    throw new RangeError('sub must not be empty');
  const pair = loadDevKeyPair(dataDir);
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const payload: Record<string, unknown> = {
    ...options.claims,
    iss: DEV_ISSUER,
    sub: options.sub,
    aud: options.audience ?? DEV_AUDIENCE,
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  };
  delete payload.scope;
  delete payload.act;
  if (options.scopes && options.scopes.length > 0) payload.scope = options.scopes.join(' ');
  if (options.act !== undefined)
    payload.act = typeof options.act === 'string' ? { sub: options.act } : options.act;
  return jwt.sign(payload, pair.privateKey, { algorithm: 'ES256', keyid: pair.kid });
}

function loadDevKeyPair(dataDir: string): DevKeyPair {
  const dir = join(resolve(dataDir), 'dev-issuer');
  const privateKeyFile = join(dir, 'private.pem');
  const publicKeyFile = join(dir, 'public.pem');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created = existsSync(privateKeyFile) ? false : createPrivateKeyFile(dir, privateKeyFile);
  const privateKey = readPrivateKey(privateKeyFile);
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // The public half is a convenience copy for other tools; the private file stays the source of truth.
  if (!existsSync(publicKeyFile) || readFileSync(publicKeyFile, 'utf8') !== publicPem) {
    writeFileSync(publicKeyFile, publicPem, { mode: 0o644 });
  }
  return { privateKey, publicKey, kid: thumbprint(publicKey), privateKeyFile, publicKeyFile, created };
}

// Written to a temporary name, then hard-linked into place: if the server and `modelgate token` race on the
// first start, exactly one key pair wins and the other process reads it instead of overwriting it.
function createPrivateKeyFile(dir: string, privateKeyFile: string): boolean {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const temporary = join(dir, `.private.pem.${process.pid}.${randomUUID()}`);
  writeFileSync(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    chmodSync(temporary, 0o600);
    linkSync(temporary, privateKeyFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ConfigError(CONFIG_KEY, `cannot create ${privateKeyFile}`, { cause: error });
  } finally {
    unlinkSync(temporary);
  }
}

function readPrivateKey(file: string): KeyObject {
  // Like ssh, refuse a private key others can read instead of silently using it.
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new ConfigError(CONFIG_KEY, `${file} is readable by other users; run: chmod 600 ${file}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new ConfigError(CONFIG_KEY, `${file} is not a PEM private key`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(
      CONFIG_KEY,
      `${file} is not an EC P-256 key; delete the folder to generate a new one`,
    );
  }
  return key;
}

// RFC 7638 JWK thumbprint: a kid derived from the key, stable across restarts. The key is EC P-256 (checked
// when read), so it always has the members a thumbprint needs.
function thumbprint(publicKey: KeyObject): string {
  return jwkThumbprint(thumbprintMembers({ ...publicKey.export({ format: 'jwk' }) })!);
}
