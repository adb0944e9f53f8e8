/**
 * An issuer's required_claims: claims a token must carry with one of the listed values, so that an issuer's ID
 * tokens, or access tokens minted for other clients, are not accepted as credentials just because their
 * signature and audience check out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError } from '../../src/errors';
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../src/identity';
import { generateRsaKeyPair, signToken, standardClaims } from '../helpers/tokens';

const ISSUER = 'https://idp.example';
const rsa = generateRsaKeyPair();
const other = generateRsaKeyPair();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-required-claims-'));
  writeFileSync(join(dir, 'rsa.pem'), rsa.publicPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (required: unknown) => ({
  issuer: ISSUER,
  audiences: ['modelgate'],
  algorithms: ['RS256'],
  public_key_file: 'rsa.pem',
  required_claims: required,
});
const load = (required: unknown) => loadTrustedIssuers([entry(required)], { baseDir: dir });
const verifierRequiring = (required: unknown): TokenVerifier =>
  createTokenVerifier(load(required), { logger: pino({ level: 'silent' }) });
const token = (claims: Record<string, unknown>, key = rsa.privateKey) =>
  signToken({
    header: { alg: 'RS256', typ: 'JWT' },
    claims: standardClaims({ issuer: ISSUER, audience: 'modelgate' }, claims),
    key,
  });

/** Returns the error a verification throws, failing the test when it resolves. */
async function refusal(verifier: TokenVerifier, jwt: string): Promise<{ code: string; message: string }> {
  try {
    await verifier.verify(jwt);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the token to be refused');
}

describe('required_claims in the issuer configuration', () => {
  it('loads one value or a list of values per claim', () => {
    const [issuer] = load({ typ: 'Bearer', azp: ['ci-bot', 'support-bot'], version: 2, mfa: true });
    expect(issuer?.requiredClaims).toEqual({
      typ: ['Bearer'],
      azp: ['ci-bot', 'support-bot'],
      version: [2],
      mfa: [true],
    });
  });

  it.each([
    ['iss', 'issuer'],
    ['aud', 'audiences'],
    ['exp', 'max_token_lifetime_seconds'],
    ['nbf', 'clock_skew_seconds'],
    ['iat', 'max_token_lifetime_seconds'],
  ])('refuses %s, which modelgate checks itself (see %s)', (claim, setting) => {
    expect(() => load({ [claim]: 'x' })).toThrow(ConfigError);
    expect(() => load({ [claim]: 'x' })).toThrow(
      expect.objectContaining({ key: `issuers[0].required_claims.${claim}` }),
    );
    expect(() => load({ [claim]: 'x' })).toThrow(new RegExp(setting));
  });

  it.each([
    ['no claim at all', {}, 'issuers[0].required_claims'],
    ['an empty list of values', { typ: [] }, 'issuers[0].required_claims.typ'],
    ['an object value', { typ: { a: 1 } }, 'issuers[0].required_claims.typ'],
    ['a null value', { typ: null }, 'issuers[0].required_claims.typ'],
    ['a list holding a list', { typ: [['Bearer']] }, 'issuers[0].required_claims.typ[0]'],
    ['an empty string', { typ: '' }, 'issuers[0].required_claims.typ'],
    ['a value that is not a finite number', { version: Infinity }, 'issuers[0].required_claims.version'],
  ])('refuses %s, naming the key', (_, required, key) => {
    expect(() => load(required)).toThrow(expect.objectContaining({ key }));
  });
});

describe('a token checked against required_claims', () => {
  it('is accepted when the claim holds an allowed value', async () => {
    const verifier = verifierRequiring({ azp: ['ci-bot', 'support-bot'] });
    const { subject } = await verifier.verify(token({ azp: 'support-bot' }));
    expect(subject.claims.azp).toBe('support-bot');
  });

  it('is refused claim_invalid when the claim is absent or holds another value, naming only the claim', async () => {
    const verifier = verifierRequiring({ azp: ['ci-bot', 'support-bot'] });
    // Precondition: the same token with an allowed azp verifies.
    await expect(verifier.verify(token({ azp: 'ci-bot' }))).resolves.toBeDefined();
    const absent = await refusal(verifier, token({}));
    expect(absent).toMatchObject({ code: 'claim_invalid', status: 401 });
    expect(absent.message).toContain('azp');
    const another = await refusal(verifier, token({ azp: 'analytics-7f3c9a' }));
    expect(another).toMatchObject({ code: 'claim_invalid', status: 401 });
    expect(another.message).toContain('azp');
    // What the token said may be personal data, and the list is the operator's: the reply names neither.
    expect(another.message).not.toContain('analytics-7f3c9a');
    expect(another.message).not.toContain('ci-bot');
  });

  it('compares numbers and booleans by type: 2 is not "2", true is not "true"', async () => {
    const verifier = verifierRequiring({ version: 2, email_verified: true });
    await expect(verifier.verify(token({ version: 2, email_verified: true }))).resolves.toBeDefined();
    const text = await refusal(verifier, token({ version: '2', email_verified: true }));
    expect(text).toMatchObject({ code: 'claim_invalid' });
    expect(text.message).toMatch(/version is a string where the allowed values are numbers/);
    await expect(verifier.verify(token({ version: 2, email_verified: 'true' }))).rejects.toMatchObject({
      code: 'claim_invalid',
    });
  });

  it('accepts an array claim only when every element is allowed, and never an empty one', async () => {
    const verifier = verifierRequiring({ client_id: ['ci-bot', 'support-bot'] });
    await expect(verifier.verify(token({ client_id: ['ci-bot'] }))).resolves.toBeDefined();
    await expect(verifier.verify(token({ client_id: ['ci-bot', 'support-bot'] }))).resolves.toBeDefined();
    // A token that also names a client off the list was minted for that client too: not ours to accept.
    const mixed = await refusal(verifier, token({ client_id: ['ci-bot', 'analytics'] }));
    expect(mixed).toMatchObject({ code: 'claim_invalid' });
    expect(mixed.message).not.toContain('analytics');
    await expect(verifier.verify(token({ client_id: [] }))).rejects.toMatchObject({ code: 'claim_invalid' });
  });

  it('refuses a claim that is an object or null', async () => {
    const verifier = verifierRequiring({ typ: 'Bearer' });
    await expect(verifier.verify(token({ typ: { Bearer: true } }))).rejects.toMatchObject({
      code: 'claim_invalid',
    });
    await expect(verifier.verify(token({ typ: null }))).rejects.toMatchObject({ code: 'claim_invalid' });
  });

  it('requires every listed claim', async () => {
    const verifier = verifierRequiring({ typ: 'Bearer', azp: 'ci-bot' });
    await expect(verifier.verify(token({ typ: 'Bearer', azp: 'ci-bot' }))).resolves.toBeDefined();
    await expect(verifier.verify(token({ typ: 'Bearer' }))).rejects.toMatchObject({ code: 'claim_invalid' });
    await expect(verifier.verify(token({ azp: 'ci-bot' }))).rejects.toMatchObject({ code: 'claim_invalid' });
  });

  it('is checked only once the signature is: a forged token learns nothing about the list', async () => {
    const verifier = verifierRequiring({ azp: 'ci-bot' });
    await expect(verifier.verify(token({ azp: 'other' }, other.privateKey))).rejects.toMatchObject({
      code: 'signature_invalid',
    });
  });
});

test.each(['constructor', 'toString', '__proto__'])(
  'requires a claim named %s like any other, not as a property of Object',
  async (name) => {
    // JSON.parse makes each an own member, as a YAML or JSON configuration does.
    const required = JSON.parse(`{"${name}": "bot"}`) as unknown;
    const verifier = verifierRequiring(required);
    const claims = JSON.parse(`{"${name}": "bot"}`) as Record<string, unknown>;
    await expect(verifier.verify(token(claims))).resolves.toMatchObject({ subject: { issuer: ISSUER } });
    await expect(verifier.verify(token({}))).rejects.toMatchObject({ code: 'claim_invalid' });
  },
);
