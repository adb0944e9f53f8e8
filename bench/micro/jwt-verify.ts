import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { createTokenVerifier } from '../../src/identity/create-token-verifier';
import type { TrustedIssuer } from '../../src/identity/trusted-issuer';
import type { JwtAlgorithm } from '../../src/schemas/issuer-config.schema';
import { timeAsync, timeSync } from '../lib/timing';
import { BENCH_AUDIENCE, BENCH_ISSUER, benchClaims } from '../lib/workload';

/** Per-token verification cost, in µs, for one algorithm. */
export interface JwtRow {
  alg: string;
  /** modelgate's verifier with its cache off: decode, issuer and key lookup, signature (jsonwebtoken or node:crypto), claims. */
  uncached: number;
  /** modelgate's verifier, token already verified: SHA-256 of the token and a cache hit. */
  cached: number;
  /** node:crypto signature check alone: the floor of any uncached verification. */
  signatureOnly: number;
  note: string;
}

interface AlgSetup {
  alg: string;
  verifyKey: KeyObject;
  token: string;
  signatureOnly: () => boolean;
}

function setups(): AlgSetup[] {
  const claims = benchClaims(1);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const secret = createSecretKey(randomBytes(32));
  const split = (token: string) => {
    const dot = token.lastIndexOf('.');
    return { data: Buffer.from(token.slice(0, dot)), sig: Buffer.from(token.slice(dot + 1), 'base64url') };
  };
  const rs = jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256' });
  const es = jwt.sign(claims, ec.privateKey, { algorithm: 'ES256' });
  const hs = jwt.sign(claims, secret, { algorithm: 'HS256' });
  // jsonwebtoken cannot sign EdDSA: the token is assembled by hand, like test/helpers/tokens.ts does.
  const edInput = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const edToken = `${edInput}.${cryptoSign(null, Buffer.from(edInput), ed.privateKey).toString('base64url')}`;
  const [rsParts, esParts, hsParts, edParts] = [split(rs), split(es), split(hs), split(edToken)];
  return [
    {
      alg: 'RS256',
      verifyKey: rsa.publicKey,
      token: rs,
      signatureOnly: () => cryptoVerify('sha256', rsParts.data, rsa.publicKey, rsParts.sig),
    },
    {
      alg: 'ES256',
      verifyKey: ec.publicKey,
      token: es,
      signatureOnly: () =>
        cryptoVerify('sha256', esParts.data, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, esParts.sig),
    },
    {
      alg: 'EdDSA',
      verifyKey: ed.publicKey,
      token: edToken,
      signatureOnly: () => cryptoVerify(null, edParts.data, ed.publicKey, edParts.sig),
    },
    {
      alg: 'HS256',
      verifyKey: secret,
      token: hs,
      signatureOnly: () =>
        timingSafeEqual(createHmac('sha256', secret).update(hsParts.data).digest(), hsParts.sig),
    },
  ];
}

function issuerFor(setup: AlgSetup): TrustedIssuer {
  return {
    issuer: BENCH_ISSUER,
    audiences: [BENCH_AUDIENCE],
    algorithms: [setup.alg as JwtAlgorithm],
    clockSkewSeconds: 30,
    keys: {
      kind: 'static',
      origin: setup.alg.startsWith('HS') ? 'secret_env' : 'public_key_file',
      keys: [{ key: setup.verifyKey }],
      matchKid: false,
    },
    source: 'bench',
  };
}

const NOTES: Record<string, string> = {
  EdDSA: 'Ed25519; verified by modelgate (node:crypto), as jsonwebtoken has no EdDSA',
  HS256: 'HMAC with a 32-byte secret',
};

/** Measures token verification for RS256, ES256, EdDSA and HS256. */
export async function jwtVerify(measureMs: number): Promise<JwtRow[]> {
  const logger = pino({ level: 'silent' });
  const rows: JwtRow[] = [];
  for (const setup of setups()) {
    if (!setup.signatureOnly()) throw new Error(`${setup.alg}: the bench token does not verify`);
    const signatureOnly = timeSync(setup.signatureOnly, measureMs).us;
    const issuers = [issuerFor(setup)];
    const uncachedVerifier = createTokenVerifier(issuers, { logger, cache: { maxEntries: 0 } });
    const cachedVerifier = createTokenVerifier(issuers, { logger });
    await uncachedVerifier.verify(setup.token);
    await cachedVerifier.verify(setup.token);
    rows.push({
      alg: setup.alg,
      uncached: (await timeAsync(() => uncachedVerifier.verify(setup.token), measureMs)).us,
      cached: (await timeAsync(() => cachedVerifier.verify(setup.token), measureMs)).us,
      signatureOnly,
      note: NOTES[setup.alg] ?? '',
    });
  }
  return rows;
}
