/**
 * An issuer template (`{tenantid}` in `issuer`) and its tenant allowlist, as configured: what loads, and what is
 * refused naming the key, before any token is seen.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../../src/errors';
import { loadTrustedIssuers } from '../../src/identity';
import { codeBlocks } from '../helpers/readme-examples';

const V2 = 'https://login.microsoftonline.com/{tenantid}/v2.0';
const home = '4f1c1b7e-5a3b-4e8e-9b0e-2f7a0c3d9e11';
const partner = '7d2e9a10-3c4b-4f5e-8a6d-1b2c3d4e5f60';
const entry = (members: Record<string, unknown>) => ({
  audiences: ['0b6f2a4c-8d1e-4f3a-9c2b-7e5d1a0f6c33'],
  algorithms: ['RS256'],
  jwks_url: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
  ...members,
});
const load = (...entries: Record<string, unknown>[]) => loadTrustedIssuers(entries, { baseDir: '/' });

/** Returns the ConfigError a load throws, failing the test when it throws nothing or something else. */
function configError(...entries: Record<string, unknown>[]): ConfigError {
  try {
    load(...entries);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the issuers loaded');
}

it('loads a template with its tenants', () => {
  const [issuer] = load(entry({ issuer: V2, tenants: [home, partner] }));
  expect(issuer).toMatchObject({ issuer: V2, tenants: [home, partner] });
});

it("loads docs/configuration.md's multi-tenant example", () => {
  const doc = readFileSync(`${__dirname}/../../docs/configuration.md`, 'utf8');
  const section = doc.slice(doc.indexOf('**Entra ID multi-tenant apps.**'));
  const example = parse(codeBlocks(section)[0]!.text) as { issuers: unknown[] };
  const [issuer] = loadTrustedIssuers(example.issuers, { baseDir: '/' });
  expect(issuer).toMatchObject({ issuer: V2, tenants: [home, partner] });
});

it('loads an exact entry for a tenant the template lists too', () => {
  const issuers = load(
    entry({ issuer: V2, tenants: [home, partner] }),
    entry({ issuer: `https://login.microsoftonline.com/${home}/v2.0` }),
  );
  expect(issuers).toHaveLength(2);
});

it.each([
  [
    'a template without tenants',
    [entry({ issuer: V2 })],
    'issuers[0].tenants',
    /\{tenantid\}.*needs tenants/,
  ],
  [
    'tenants without a template',
    [entry({ issuer: `https://login.microsoftonline.com/${home}/v2.0`, tenants: [home] })],
    'issuers[0].tenants',
    /only with an issuer that holds \{tenantid\}/,
  ],
  ['an empty tenant list', [entry({ issuer: V2, tenants: [] })], 'issuers[0].tenants', /fewer than 1/],
  // Every Entra ID user can get a token for a multi-tenant app: accepting all tenants is accepting anyone.
  ['a wildcard tenant', [entry({ issuer: V2, tenants: ['*'] })], 'issuers[0].tenants[0]', /pattern/],
  [
    'a tenant that is a domain name',
    [entry({ issuer: V2, tenants: ['contoso.onmicrosoft.com'] })],
    'issuers[0].tenants[0]',
    /pattern/,
  ],
  [
    'an upper-case tenant id, which no token iss holds',
    [entry({ issuer: V2, tenants: [home.toUpperCase()] })],
    'issuers[0].tenants[0]',
    /pattern/,
  ],
  [
    'two placeholders',
    [entry({ issuer: 'https://login.microsoftonline.com/{tenantid}/{tenantid}/v2.0', tenants: [home] })],
    'issuers[0].issuer',
    /once/,
  ],
  [
    'a placeholder inside a path segment',
    [entry({ issuer: 'https://login.microsoftonline.com/t-{tenantid}/v2.0', tenants: [home] })],
    'issuers[0].issuer',
    /whole path segment/,
  ],
  [
    'a placeholder in the host',
    [entry({ issuer: 'https://{tenantid}.login.example/v2.0', tenants: [home] })],
    'issuers[0].issuer',
    /whole path segment/,
  ],
  [
    'a template that is not https',
    [entry({ issuer: 'http://login.example/{tenantid}/v2.0', tenants: [home] })],
    'issuers[0].issuer',
    /https/,
  ],
  [
    'two entries for one template',
    [entry({ issuer: V2, tenants: [home] }), entry({ issuer: V2, tenants: [partner] })],
    'issuers[1].issuer',
    /duplicates issuers\[0\]/,
  ],
  [
    'two templates that make the same issuer',
    [
      entry({ issuer: `https://login.example/{tenantid}/${home}/v2.0`, tenants: [partner] }),
      entry({ issuer: `https://login.example/${partner}/{tenantid}/v2.0`, tenants: [home] }),
    ],
    'issuers[1].tenants',
    /issuers\[0\]/,
  ],
])('refuses %s, naming the key', (_, entries, key, message) => {
  const error = configError(...entries);
  expect(error.key).toBe(key);
  expect(error.detail).toMatch(message);
});
