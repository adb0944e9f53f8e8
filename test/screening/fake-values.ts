/**
 * Builders of fake, well-formed sensitive values for the screening tests. Deterministic (a seeded generator)
 * so failures reproduce; every secret carries a FAKE marker where its alphabet allows.
 */
import { createHash } from 'node:crypto';

const UP = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LO = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UP + LO + DIGITS;

/**
 * Returns deterministic random-looking text of `alphabet`, drawn from SHA-256 of the seed: a test never flakes on a
 * value that happens to look plain, and each value depends on its own seed only.
 */
export function drawn(seed: string, length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; out.length < length; i++) {
    for (const byte of createHash('sha256').update(`${seed}:${i}`).digest()) {
      if (out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A seeded generator of random strings (mulberry32), so each test file gets the same values every run. */
export function fakeRandom(seed = 42): (alphabet: string, length: number) => string {
  let state = seed;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (alphabet, length) => {
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  };
}

const rand = fakeRandom(7);
/** Random mixed-case alphanumerics of `length` with "FAKE" at the start (always upper, lower and digit). */
const body = (length: number): string => `FAKE${rand(LO, 2)}${rand(DIGITS, 2)}${rand(ALNUM, length - 8)}`;

export const fake = {
  awsAccessKey: (): string => `AKIAFAKE${rand(UP + '234567', 12)}`,
  awsSecretKey: (): string => body(40),
  githubToken: (): string => `ghp_${body(36)}`,
  gitlabToken: (): string => `glpat-${body(20)}`,
  slackBotToken: (): string => `xoxb-${rand(DIGITS, 12)}-${rand(DIGITS, 13)}-${body(24)}`,
  slackWebhook: (): string => `https://hooks.slack.com/services/T${rand(UP, 8)}/B${rand(UP, 10)}/${body(24)}`,
  stripeKey: (): string => `sk_live_${body(24)}`,
  npmToken: (): string => `npm_${body(36)}`,
  openaiKey: (): string => `sk-proj-${body(40)}T3BlbkFJ${rand(ALNUM, 40)}`,
  anthropicKey: (): string => `sk-ant-api03-${body(93)}AA`,
  azureAccountKey: (): string => `${body(86)}==`,
  privateKey: (kind = 'RSA PRIVATE KEY', newline = '\n'): string =>
    [
      `-----BEGIN ${kind}-----`,
      `MIIEFAKE${rand(ALNUM, 56)}`,
      rand(ALNUM, 64),
      `${rand(ALNUM, 20)}==`,
      `-----END ${kind}-----`,
    ].join(newline),
  jwt: (header: object = { alg: 'HS256', typ: 'JWT' }): string =>
    [
      Buffer.from(JSON.stringify(header)).toString('base64url'),
      Buffer.from(JSON.stringify({ sub: 'fake-user', exp: 1900000000 })).toString('base64url'),
      rand(ALNUM, 43),
    ].join('.'),
  gcpKeyId: (): string => rand('0123456789abcdef', 40),
};

/** Appends the Luhn check digit to a string of digits. */
export function withLuhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

/** Returns an IBAN for a country and BBAN with correct check digits (ISO 13616 mod-97). */
export function ibanFor(country: string, bban: string): string {
  const numeric = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const ch of numeric) rest = (rest * 10 + Number(ch)) % 97;
  return country + String(98 - rest).padStart(2, '0') + bban;
}

/** A GCP service account key file as JSON text, with a fake key id and private key. */
export function gcpKeyFile(keyId: string): string {
  return JSON.stringify(
    {
      type: 'service_account',
      project_id: 'fake-project',
      private_key_id: keyId,
      private_key: fake.privateKey('PRIVATE KEY') + '\n',
      client_email: 'runner@fake-project.iam.gserviceaccount.com',
    },
    null,
    2,
  );
}
