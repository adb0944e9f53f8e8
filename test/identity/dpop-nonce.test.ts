/**
 * Stateless DPoP nonces (RFC 9449 section 8) over time, with a clock the test moves: which periods a nonce is
 * taken in, and that only a holder of the same secret, with the same lifetime, makes the same nonces. Served
 * nonces against a real service are in test/server/decide-dpop-nonce.test.ts.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dpopNonceSecret, DpopNonces } from '../../src/identity/dpop-nonce';
import { configErrorOf } from '../helpers/config-errors';

const LIFETIME_S = 300;
const SKEW_S = 30;
// The start of a period, so that each step below lands where it says.
const PERIOD_START = 1_800_000_000_000 - (1_800_000_000_000 % (LIFETIME_S * 1000));

function nonces(secret = createSecretKey(randomBytes(32)), lifetimeSeconds = LIFETIME_S) {
  const clock = { ms: PERIOD_START };
  const made = new DpopNonces(secret, { lifetimeSeconds, clockSkewSeconds: SKEW_S }, () => clock.ms);
  return { made, clock, secret };
}

describe('DPoP nonces', () => {
  it('hands out one nonce per period and takes it (the precondition)', () => {
    const { made, clock } = nonces();
    const nonce = made.current();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    clock.ms += LIFETIME_S * 1000 - 1;
    expect(made.current()).toBe(nonce);
    expect(made.accepts(nonce)).toBe(true);
  });

  it('takes a nonce through the next period, and refuses it after that', () => {
    const { made, clock } = nonces();
    const nonce = made.current();
    clock.ms += LIFETIME_S * 1000;
    expect(made.current()).not.toBe(nonce);
    expect(made.accepts(nonce)).toBe(true);
    clock.ms += LIFETIME_S * 1000 - 1;
    expect(made.accepts(nonce)).toBe(true);
    clock.ms += 1;
    expect(made.accepts(nonce)).toBe(false);
  });

  it("takes the next period's nonce from a replica whose clock is ahead by at most the skew", () => {
    const secret = createSecretKey(randomBytes(32));
    const ahead = nonces(secret);
    const behind = nonces(secret);
    ahead.clock.ms += LIFETIME_S * 1000;
    const next = ahead.made.current();
    behind.clock.ms += LIFETIME_S * 1000 - SKEW_S * 1000;
    expect(behind.made.accepts(next)).toBe(true);
    behind.clock.ms -= 1;
    expect(behind.made.accepts(next)).toBe(false);
  });

  it('refuses the nonces of another secret, and of the same secret with another lifetime', () => {
    const { made, secret } = nonces();
    expect(made.accepts(nonces().made.current())).toBe(false);
    expect(made.accepts(nonces(secret, LIFETIME_S + 1).made.current())).toBe(false);
    expect(made.accepts(nonces(secret).made.current())).toBe(true);
  });

  it.each([
    ['a number', () => 12345],
    ['an empty string', () => ''],
    ['the nonce with a character added', (nonce: string) => `${nonce}A`],
    ['the nonce with a character that is not base64url', (nonce: string) => `${nonce.slice(0, -1)}!`],
    ['the nonce in standard base64', (nonce: string) => Buffer.from(nonce, 'base64url').toString('base64')],
    ['a very long string', (nonce: string) => nonce.repeat(1000)],
  ])('refuses %s', (_name, make) => {
    const { made } = nonces();
    const nonce = made.current();
    expect(made.accepts(make(nonce))).toBe(false);
    expect(made.accepts(nonce)).toBe(true);
  });

  it('refuses a nonce whose last character differs in bits the nonce does not use', () => {
    const { made } = nonces();
    const nonce = made.current();
    // 22 base64url characters hold 132 bits for 128: the last one's low 4 bits are padding, decoded away.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(nonce.at(-1)!);
    const sibling = nonce.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(nonce, 'base64url'));
    expect(made.accepts(sibling)).toBe(false);
  });
});

describe('the nonce secret', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-dpop-nonce-'));
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('makes the same nonces from the same file, whitespace around it ignored', () => {
    const text = randomBytes(36).toString('base64');
    const a = nonces(dpopNonceSecret(file('a.secret', text)));
    const b = nonces(dpopNonceSecret(file('b.secret', `  ${text}\n`)));
    expect(b.made.accepts(a.made.current())).toBe(true);
  });

  it('is random per process without a file', () => {
    expect(
      nonces(dpopNonceSecret(undefined)).made.accepts(nonces(dpopNonceSecret(undefined)).made.current()),
    ).toBe(false);
  });

  it('stops the start on a secret under 32 characters, without saying it', () => {
    const err = configErrorOf(() => dpopNonceSecret(file('short.secret', 'correct-horse-battery-staple\n')));
    expect(err.key).toBe('dpop.nonce.secret_file');
    expect(err.message).toContain('shorter than 32 characters');
    expect(err.message).not.toContain('correct-horse');
  });

  it('stops the start on a file it cannot read, naming it', () => {
    const err = configErrorOf(() => dpopNonceSecret(path.join(dir, 'missing.secret')));
    expect(err.key).toBe('dpop.nonce.secret_file');
    expect(err.message).toContain('missing.secret');
  });
});
