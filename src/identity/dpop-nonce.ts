import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';

/** Server-provided DPoP nonces (the `dpop.nonce` section, resolved). */
export interface DpopNonceSettings {
  /** Refuse a proof without a nonce (`use_dpop_nonce`); when false a nonce is checked only if a proof has one. */
  required: boolean;
  /** How long one nonce is handed out; each is accepted for one more such period. Default 300 s. */
  lifetimeSeconds?: number;
  /** The file holding the HMAC secret that replicas share; absent: a random secret of this process. */
  secretFile?: string;
}

/** The default of {@link DpopNonceSettings.lifetimeSeconds}. */
export const DEFAULT_DPOP_NONCE_LIFETIME_SECONDS = 300;

// 256 bits of key: a shorter secret (a word, a short password) would let nonces be guessed offline from one seen.
const MIN_SECRET_LENGTH = 32;
// 128 bits of the HMAC: past guessing, and short enough for a header sent with every request.
const NONCE_BYTES = 16;

/**
 * Makes and checks DPoP nonces (RFC 9449 section 8) without state: the nonce of a period of `lifetimeSeconds` is
 * an HMAC of the period's number, so every replica holding the same secret hands out and accepts the same one.
 * Accepted: the nonce of the current period and of the previous one (a nonce handed out stays good for between
 * one and two periods), and of the next one when it starts within `clockSkewSeconds`, for a replica whose clock
 * is a little ahead. A nonce cannot be made ahead of its period without the secret, so a proof that carries one
 * was signed after that period began.
 */
export class DpopNonces {
  private readonly periodMs: number;
  private readonly skewMs: number;
  // A handful of periods are live at a time; remembering their nonces saves an HMAC per request.
  private readonly made = new Map<number, Buffer>();

  constructor(
    private readonly secret: KeyObject,
    timing: { lifetimeSeconds: number; clockSkewSeconds: number },
    private readonly now: () => number,
  ) {
    this.periodMs = timing.lifetimeSeconds * 1000;
    this.skewMs = timing.clockSkewSeconds * 1000;
  }

  /** Returns the nonce to hand out now (the `DPoP-Nonce` header). */
  current(): string {
    return this.nonceOf(this.periodAt(this.now())).toString('base64url');
  }

  /** Returns whether `nonce` is a nonce this service (or a replica with the same secret) hands out now or did lately. */
  accepts(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const given = Buffer.from(nonce, 'base64url');
    // base64url decoding skips what is not base64url: the text must be exactly what current() wrote.
    if (given.length !== NONCE_BYTES || given.toString('base64url') !== nonce) return false;
    const nowMs = this.now();
    const period = this.periodAt(nowMs);
    const periods = new Set([period - 1, period, this.periodAt(nowMs + this.skewMs)]);
    let found = false;
    // Every candidate is compared, in constant time: how long a check takes says nothing of a future nonce.
    for (const candidate of periods) found = timingSafeEqual(given, this.nonceOf(candidate)) || found;
    return found;
  }

  private periodAt(ms: number): number {
    return Math.floor(ms / this.periodMs);
  }

  private nonceOf(period: number): Buffer {
    let nonce = this.made.get(period);
    if (nonce) return nonce;
    // The period's length is part of what is signed: a replica configured with another lifetime makes other nonces.
    nonce = createHmac('sha256', this.secret)
      .update(`modelgate dpop nonce\n${this.periodMs}\n${period}`)
      .digest()
      .subarray(0, NONCE_BYTES);
    if (this.made.size >= 8) this.made.clear();
    this.made.set(period, nonce);
    return nonce;
  }
}

/**
 * Returns the nonce secret from `secretFile` (surrounding whitespace ignored, at least 32 characters), or a random
 * one of this process when there is none. Throws ConfigError naming `dpop.nonce.secret_file`; never says the secret.
 */
export function dpopNonceSecret(secretFile: string | undefined): KeyObject {
  if (secretFile === undefined) return createSecretKey(randomBytes(32));
  let text: string;
  try {
    text = readFileSync(secretFile, 'utf8').trim();
  } catch (err) {
    throw new ConfigError('dpop.nonce.secret_file', `cannot read ${secretFile}`, { cause: err });
  }
  if (text.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      'dpop.nonce.secret_file',
      `the secret in ${secretFile} is shorter than ${MIN_SECRET_LENGTH} characters; make one with: openssl rand -base64 48`,
    );
  }
  return createSecretKey(Buffer.from(text, 'utf8'));
}
