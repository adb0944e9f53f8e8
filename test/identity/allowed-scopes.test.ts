/**
 * An issuer's allowed_scopes bound what its tokens may grant: a workload issuer whose secret or key is
 * stolen must not mint tokens that read the audit log or approve its own requests.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { parse } from 'yaml';
import { ConfigError } from '../../src/errors';
import { createTokenVerifier, loadTrustedIssuers } from '../../src/identity';
import { issuerConfigSchema, type IssuerConfig } from '../../src/schemas/issuer-config.schema';
import { compileValidator } from '../../src/schemas/validators';
import { auditCount } from '../helpers/audit-db';
import { startTestService, type TestService, testIssuerEntry } from '../helpers/service';
import { codeBlocks } from '../helpers/readme-examples';
import { generateHsSecret, signToken, standardClaims } from '../helpers/tokens';

const WORKLOADS = 'https://workloads.example';
const secret = generateHsSecret(32);
const workloadIssuer = (allowed?: unknown): IssuerConfig =>
  ({
    issuer: WORKLOADS,
    audiences: ['modelgate'],
    algorithms: ['HS256'],
    secret_env: 'WORKLOAD_SECRET',
    ...(allowed === undefined ? {} : { allowed_scopes: allowed }),
  }) as IssuerConfig;
const load = (entry: IssuerConfig) =>
  loadTrustedIssuers([entry], { baseDir: '/', env: { WORKLOAD_SECRET: secret } });
const hsToken = (claims: Record<string, unknown>) =>
  signToken({
    header: { alg: 'HS256' },
    claims: standardClaims({ issuer: WORKLOADS, audience: 'modelgate' }, claims),
    key: secret,
  });

describe('allowed_scopes of an issuer', () => {
  it('keeps the scopes it lists, exactly or by a trailing *, and drops the rest', async () => {
    const verifier = createTokenVerifier(load(workloadIssuer(['invoke:*', 'reports:read'])), {
      logger: pino({ level: 'silent' }),
    });
    const identity = await verifier.verify(
      hsToken({
        sub: 'svc:batch',
        scope: 'invoke:chat modelgate:audit reports:read reports:readwrite',
        scp: ['invoke:codegen', 'modelgate:approve', 'invoke'],
      }),
    );
    expect(identity.subject.scopes).toEqual(['invoke:chat', 'reports:read', 'invoke:codegen']);
    // The claims stay as signed: they are the evidence of what the token asked for.
    expect(identity.subject.claims.scope).toBe('invoke:chat modelgate:audit reports:read reports:readwrite');
  });

  it('grants every scope when absent, and none when empty', async () => {
    const all = createTokenVerifier(load(workloadIssuer()), { logger: pino({ level: 'silent' }) });
    const none = createTokenVerifier(load(workloadIssuer([])), { logger: pino({ level: 'silent' }) });
    const token = hsToken({ sub: 'svc:batch', scope: 'invoke:chat modelgate:audit' });
    expect((await all.verify(token)).subject.scopes).toEqual(['invoke:chat', 'modelgate:audit']);
    expect((await none.verify(token)).subject.scopes).toEqual([]);
  });

  it('bounds the scopes of every claim named in scope_claims, not only scope and scp', async () => {
    const entry = { ...workloadIssuer(['invoke:*']), scope_claims: ['permissions', 'roles'] } as IssuerConfig;
    const verifier = createTokenVerifier(load(entry), { logger: pino({ level: 'silent' }) });
    const identity = await verifier.verify(
      hsToken({
        sub: 'svc:batch',
        scope: 'invoke:ignored',
        permissions: ['invoke:chat', 'modelgate:audit'],
        roles: 'invoke:codegen modelgate:approve',
      }),
    );
    expect(identity.subject.scopes).toEqual(['invoke:chat', 'invoke:codegen']);
  });

  it.each([[[]], ['roles'], [['']], [[1]]])('refuses scope_claims %j', (claims) => {
    const loading = () => load({ ...workloadIssuer(), scope_claims: claims } as unknown as IssuerConfig);
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(/issuers\[0\]\.scope_claims/);
  });

  it.each([
    [['modelgate:*:x'], 'allowed_scopes/0'],
    [['*'], null],
    [['a b'], 'allowed_scopes/0'],
    [[''], 'allowed_scopes/0'],
    ['invoke:*', 'allowed_scopes'],
  ])('validates %j', (allowed, problem) => {
    const loading = () => load(workloadIssuer(allowed));
    if (problem === null) {
      expect(loading).not.toThrow();
    } else {
      expect(loading).toThrow(ConfigError);
      expect(loading).toThrow(/issuers\[0\]\.allowed_scopes/);
    }
  });
});

describe("the README's issuers", () => {
  const readme = readFileSync(`${__dirname}/../../README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## A real identity provider'));
  const example = parse(codeBlocks(section)[0]!.text) as { issuers: IssuerConfig[] };
  const validate = compileValidator<IssuerConfig>(issuerConfigSchema);

  it('are valid issuer entries', () => {
    expect(example.issuers).toHaveLength(3);
    for (const entry of example.issuers) expect(validate.problems(entry)).toEqual([]);
  });
});

describe("docs/configuration.md's issuers example", () => {
  const doc = readFileSync(`${__dirname}/../../docs/configuration.md`, 'utf8');
  const section = doc.slice(doc.indexOf('### Authentication: trusted issuers'));
  const example = parse(codeBlocks(section)[0]!.text) as { issuers: IssuerConfig[] };
  const validate = compileValidator<IssuerConfig>(issuerConfigSchema);

  it('is valid, and its HS256 issuer grants only invoke:* scopes', async () => {
    for (const entry of example.issuers) expect(validate.problems(entry)).toEqual([]);
    const legacy = example.issuers.find((i) => i.issuer === 'legacy-ci')!;
    const verifier = createTokenVerifier(
      loadTrustedIssuers([legacy], { baseDir: '/', env: { LEGACY_CI_JWT_SECRET: secret } }),
      { logger: pino({ level: 'silent' }) },
    );
    const token = signToken({
      header: { alg: 'HS256' },
      claims: standardClaims(
        { issuer: 'legacy-ci', audience: 'modelgate' },
        { sub: 'ci:deploy', scope: 'invoke:codegen modelgate:audit' },
      ),
      key: secret,
    });
    expect((await verifier.verify(token)).subject.scopes).toEqual(['invoke:codegen']);
  });
});

describe('allowed_scopes on a running service', () => {
  let svc: TestService;

  beforeAll(async () => {
    process.env.MG_TEST_WORKLOAD_SECRET = secret;
    svc = await startTestService({
      issuers: [
        testIssuerEntry(),
        { ...workloadIssuer(['invoke:*']), secret_env: 'MG_TEST_WORKLOAD_SECRET' },
      ],
    });
  });
  afterAll(async () => {
    await svc.close();
    delete process.env.MG_TEST_WORKLOAD_SECRET;
  });

  it("refuses the audit API to a workload issuer's token that claims the auditor scope", async () => {
    const forged = await svc.get('/v1/decisions', hsToken({ sub: 'svc:batch', scope: 'modelgate:audit' }));
    expect(forged.status).toBe(403);
    expect((forged.body.reasons as { code: string }[])[0]!.code).toBe('scope_missing');
    const auditor = await svc.get(
      '/v1/decisions',
      svc.token({ sub: 'user:auditor', scope: 'modelgate:audit' }),
    );
    expect(auditor.status).toBe(200);
    expect(auditCount(svc.db)).toBeGreaterThan(0);
  });
});
