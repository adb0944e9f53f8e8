/**
 * Server-provided DPoP nonces (RFC 9449 sections 8 and 9) against real services: every reply hands out the current
 * nonce, a proof without one (or with one this service did not make) is refused 401 use_dpop_nonce, and replicas
 * that share the secret file take each other's nonces without sharing anything else.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError } from '../../src/errors';
import type { DpopSettings } from '../../src/identity';
import { auditRow } from '../helpers/audit-db';
import { dpopConfirmation, dpopProof } from '../helpers/dpop';
import {
  fetchReply,
  startTestService,
  SUPPORT_REPLY_CALL,
  type Reply,
  type TestService,
  testIssuerEntry,
} from '../helpers/service';
import { generateEcKeyPair } from '../helpers/tokens';

const PUBLIC = 'https://modelgate.test';
const ALGS = 'ES256 PS256';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
// Each refusal's own record is asserted: record every anonymous rejection, none counted together.
const AUDIT = { synchronous: 'FULL', anonymousRecordsPerMinute: 0 } as const;

function dpopSettings(nonce: DpopSettings['nonce']): DpopSettings {
  return { publicUrls: [PUBLIC], algorithms: ['ES256', 'PS256'], nonce };
}

/** Starts a second replica that trusts `a`'s issuer key, so that one token works at both, as behind one load balancer. */
function startReplicaOf(a: TestService, dpop: DpopSettings, audit?: typeof AUDIT): Promise<TestService> {
  const issuers = [testIssuerEntry({ public_key_file: path.join(a.dir, 'rsa.pem') })];
  return startTestService({ dpop, ...(audit && { audit }), issuers });
}

function logSink(lines: string[]) {
  return pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
}

function reasonCode(reply: Reply): string | undefined {
  return (reply.body.reasons as { code: string }[] | undefined)?.[0]?.code;
}

/** Calls /v1/decide at `svc` with the client's bound token and a proof carrying `claims` (a nonce, or none). */
async function decideWithProof(
  svc: TestService,
  token: string,
  client: ReturnType<typeof generateEcKeyPair>,
  claims: Record<string, unknown> = {},
): Promise<Reply> {
  const proof = dpopProof({ key: client, htm: 'POST', htu: `${PUBLIC}/v1/decide`, token, claims });
  return fetchReply(`${svc.url}/v1/decide`, {
    method: 'POST',
    headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' },
    body: JSON.stringify(SUPPORT_REPLY_CALL),
  });
}

describe('a service that requires DPoP nonces, with replicas sharing the secret', () => {
  let a: TestService;
  let b: TestService;
  const secret = randomBytes(36).toString('base64');
  const logLines: string[] = [];
  const client = generateEcKeyPair('P-256');

  beforeAll(async () => {
    const secretFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-dpop-nonce-')), 'dpop-nonce.secret');
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
    const nonce = { required: true, secretFile };
    a = await startTestService({ dpop: dpopSettings(nonce), audit: AUDIT }, logSink(logLines));
    b = await startReplicaOf(a, dpopSettings(nonce), AUDIT);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const boundToken = () => a.token({ ...SUPPORT, cnf: dpopConfirmation(client) });

  it('hands out a nonce on every reply, a bearer one and a /health too', async () => {
    const bearer = await a.post('/v1/decide', SUPPORT_REPLY_CALL, a.token(SUPPORT));
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const health = await fetchReply(`${a.url}/health`, {});
    expect(health.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses a proof without a nonce with 401 use_dpop_nonce and a nonce to retry with, recorded', async () => {
    const token = boundToken();
    const refused = await decideWithProof(a, token, client);
    expect(refused.status).toBe(401);
    expect(reasonCode(refused)).toBe('dpop_nonce_missing');
    expect(refused.headers.get('www-authenticate')).toBe(
      `DPoP error="use_dpop_nonce", error_description="dpop_nonce_missing", algs="${ALGS}"`,
    );
    const nonce = refused.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(auditRow(a.db, refused.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
      subject: null,
    });

    const retried = await decideWithProof(a, token, client, { nonce });
    expect(retried.status).toBe(200);
    expect(retried.body.allow).toBe(true);
    expect(retried.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(auditRow(a.db, retried.body.decision_id as string)).toMatchObject({
      outcome: 'allowed',
      subject: SUPPORT.sub,
    });
  });

  it("takes one replica's nonce at the other: nothing is shared but the secret file", async () => {
    const nonce = (await fetchReply(`${a.url}/health`, {})).headers.get('dpop-nonce');
    const reply = await decideWithProof(b, boundToken(), client, { nonce });
    expect(reply.status).toBe(200);
    expect(reply.body.allow).toBe(true);
  });

  it.each([
    ['a nonce this service never made', () => randomBytes(16).toString('base64url')],
    ['a nonce that is no string', () => 42],
    ['an empty nonce', () => ''],
  ])('refuses %s with 401 dpop_nonce_invalid and use_dpop_nonce', async (_name, nonce) => {
    const reply = await decideWithProof(a, boundToken(), client, { nonce: nonce() });
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_nonce_invalid');
    expect(reply.headers.get('www-authenticate')).toBe(
      `DPoP error="use_dpop_nonce", error_description="dpop_nonce_invalid", algs="${ALGS}"`,
    );
    expect(reply.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(auditRow(a.db, reply.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
    });
  });

  it('says first what a new proof with the nonce would not fix', async () => {
    const token = boundToken();
    const proof = dpopProof({ key: client, htm: 'POST', htu: 'https://other.test/v1/decide', token });
    const reply = await fetchReply(`${a.url}/v1/decide`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' },
      body: JSON.stringify(SUPPORT_REPLY_CALL),
    });
    expect(reasonCode(reply)).toBe('dpop_proof_invalid');
  });

  it('still refuses a replayed proof that carries a good nonce', async () => {
    const token = boundToken();
    const nonce = (await fetchReply(`${a.url}/health`, {})).headers.get('dpop-nonce');
    const proof = dpopProof({
      key: client,
      htm: 'POST',
      htu: `${PUBLIC}/v1/decide`,
      token,
      claims: { nonce },
    });
    const send = () =>
      fetchReply(`${a.url}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' },
        body: JSON.stringify(SUPPORT_REPLY_CALL),
      });
    expect((await send()).status).toBe(200);
    expect(reasonCode(await send())).toBe('dpop_proof_replayed');
  });

  it('carries a nonce on every other 401 too', async () => {
    const reply = await a.post('/v1/decide', SUPPORT_REPLY_CALL, null);
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('token_missing');
    expect(reply.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('never writes the secret to the log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(secret);
  });
});

describe('DPoP nonces with a secret of each process', () => {
  let a: TestService;
  let b: TestService;
  const logLines: string[] = [];
  const client = generateEcKeyPair('P-256');
  beforeAll(async () => {
    a = await startTestService({ dpop: dpopSettings({ required: true }), audit: AUDIT }, logSink(logLines));
    b = await startReplicaOf(a, dpopSettings({ required: true }));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('warns at start that its nonces hold at one replica only', () => {
    expect(logLines.join('')).toContain('dpop.nonce has no secret_file');
  });

  it("takes its own nonce and refuses another process's: one replica only", async () => {
    const token = a.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
    const own = (await fetchReply(`${a.url}/health`, {})).headers.get('dpop-nonce');
    expect((await decideWithProof(a, token, client, { nonce: own })).status).toBe(200);
    const other = (await fetchReply(`${b.url}/health`, {})).headers.get('dpop-nonce');
    expect(other).not.toBe(own);
    expect(reasonCode(await decideWithProof(a, token, client, { nonce: other }))).toBe('dpop_nonce_invalid');
  });
});

describe('DPoP nonces while they are rolled out (required: false)', () => {
  let svc: TestService;
  const client = generateEcKeyPair('P-256');
  beforeAll(async () => {
    svc = await startTestService({ dpop: dpopSettings({ required: false }), audit: AUDIT });
  });
  afterAll(() => svc.close());

  it('takes a proof without a nonce, and hands one out', async () => {
    const reply = await decideWithProof(
      svc,
      svc.token({ ...SUPPORT, cnf: dpopConfirmation(client) }),
      client,
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('checks a nonce that a proof carries: a wrong one is refused use_dpop_nonce', async () => {
    const token = svc.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
    const reply = await decideWithProof(svc, token, client, { nonce: randomBytes(16).toString('base64url') });
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_nonce_invalid');
    expect(reply.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    const good = reply.headers.get('dpop-nonce');
    expect((await decideWithProof(svc, token, client, { nonce: good })).status).toBe(200);
  });
});

describe('a service with dpop but no nonce section', () => {
  let svc: TestService;
  const client = generateEcKeyPair('P-256');
  beforeAll(async () => {
    svc = await startTestService({ dpop: dpopSettings(undefined) });
  });
  afterAll(() => svc.close());

  it('hands out no nonce and ignores a nonce claim, as before', async () => {
    const token = svc.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
    const reply = await decideWithProof(svc, token, client, { nonce: 'anything' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('dpop-nonce')).toBeNull();
  });
});

it('refuses to start with a nonce secret file that is too short, naming the key and not the secret', async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-dpop-nonce-')), 'short.secret');
  writeFileSync(file, 'tr0ub4dor&3\n');
  const start = startTestService({ dpop: dpopSettings({ required: true, secretFile: file }) });
  await expect(start).rejects.toThrow(ConfigError);
  await expect(start).rejects.toMatchObject({
    key: 'dpop.nonce.secret_file',
    message: expect.not.stringContaining('tr0ub4dor'),
  });
});
