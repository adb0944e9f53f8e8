import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/errors';
import { startTestService } from '../helpers/service';
import { configErrorOf } from '../helpers/config-errors';

function load(yaml: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-dpop-config-'));
  const file = path.join(dir, 'c.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ MODELGATE_CONFIG: file });
}

describe('the dpop section', () => {
  it('is absent unless configured: the DPoP scheme is then refused', () => {
    expect(load('port: 8080\n').dpop).toBeUndefined();
  });

  it('reads public_urls and gives every other key its default', () => {
    expect(load('dpop: { public_urls: [https://modelgate.corp] }\n').dpop).toEqual({
      publicUrls: ['https://modelgate.corp'],
      algorithms: [
        ...['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'Ed448'],
        ...['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
      ],
      maxAgeSeconds: 60,
      clockSkewSeconds: 30,
      replayCacheEntries: 200_000,
      replayEntriesPerKey: 10_000,
    });
  });

  it('reads the nonce section, its secret file relative to the config file, and its default lifetime', () => {
    const dpop = load(
      'dpop: { public_urls: [https://m], nonce: { required: true, secret_file: n.secret } }\n',
    ).dpop;
    expect(dpop?.nonce).toEqual({ required: true, lifetimeSeconds: 300, secretFile: expect.any(String) });
    expect(path.isAbsolute(dpop!.nonce!.secretFile!)).toBe(true);
    expect(path.basename(dpop!.nonce!.secretFile!)).toBe('n.secret');
    expect(load('dpop: { public_urls: [https://m], nonce: { required: false } }\n').dpop?.nonce).toEqual({
      required: false,
      lifetimeSeconds: 300,
    });
  });

  it('keeps the per-key share within a smaller replay cache', () => {
    const dpop = load('dpop: { public_urls: [https://m], replay_cache_entries: 5000 }\n').dpop;
    expect(dpop).toMatchObject({ replayCacheEntries: 5000, replayEntriesPerKey: 5000 });
  });

  it.each([
    ['no public_urls', 'dpop: { algorithms: [ES256] }\n', 'dpop.public_urls', 'is required'],
    [
      'an empty public_urls',
      'dpop: { public_urls: [] }\n',
      'dpop.public_urls',
      'must NOT have fewer than 1 items',
    ],
    [
      'a URL that is not http',
      'dpop: { public_urls: [ftp://modelgate.corp] }\n',
      'dpop.public_urls[0]',
      'must match pattern',
    ],
    [
      'a symmetric algorithm',
      'dpop: { public_urls: [https://m], algorithms: [HS256] }\n',
      'dpop.algorithms[0]',
      'must be one of',
    ],
    [
      'alg none',
      'dpop: { public_urls: [https://m], algorithms: [none] }\n',
      'dpop.algorithms[0]',
      'must be one of',
    ],
    [
      'a max age of 0',
      'dpop: { public_urls: [https://m], max_age_seconds: 0 }\n',
      'dpop.max_age_seconds',
      'must be >= 1',
    ],
    [
      'a skew over 300 s',
      'dpop: { public_urls: [https://m], clock_skew_seconds: 301 }\n',
      'dpop.clock_skew_seconds',
      'must be <= 300',
    ],
    [
      'a tiny replay cache',
      'dpop: { public_urls: [https://m], replay_cache_entries: 10 }\n',
      'dpop.replay_cache_entries',
      'must be >= 100',
    ],
    [
      'an unknown key',
      'dpop: { public_urls: [https://m], shared_cache: true }\n',
      'dpop.shared_cache',
      'is not allowed here',
    ],
    [
      'a per-key share larger than the cache',
      'dpop: { public_urls: [https://m], replay_cache_entries: 1000, replay_entries_per_key: 1001 }\n',
      'dpop.replay_entries_per_key',
      'must be at most dpop.replay_cache_entries (1000)',
    ],
    [
      'a nonce section that is no object',
      'dpop: { public_urls: [https://m], nonce: true }\n',
      'dpop.nonce',
      'must be object',
    ],
    [
      'a nonce section that does not say whether nonces are required',
      'dpop: { public_urls: [https://m], nonce: { secret_file: n.secret } }\n',
      'dpop.nonce.required',
      'is required',
    ],
    [
      'a nonce lifetime under 10 s',
      'dpop: { public_urls: [https://m], nonce: { required: true, lifetime_seconds: 5 } }\n',
      'dpop.nonce.lifetime_seconds',
      'must be >= 10',
    ],
    [
      'an unknown nonce key',
      'dpop: { public_urls: [https://m], nonce: { required: true, secret: abc } }\n',
      'dpop.nonce.secret',
      'is not allowed here',
    ],
  ])('stops on %s, naming the key', (_name, yaml, key, message) => {
    const err = configErrorOf(() => load(yaml));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`config: ${key}: ${message}`);
  });

  it.each([
    ['a query', 'https://modelgate.corp/?tenant=a', 'must not hold a query or a fragment'],
    ['a fragment', 'https://modelgate.corp/#x', 'must not hold a query or a fragment'],
    ['a user', 'https://user:pw@modelgate.corp', 'must not hold a user name or password'],
    ['no host', 'https://', 'must be an absolute http or https URL'],
  ])('refuses to start on a public URL with %s, naming the entry', async (_name, url, message) => {
    const start = startTestService({ dpop: { publicUrls: ['https://modelgate.corp', url] } });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toMatchObject({
      key: 'dpop.public_urls[1]',
      detail: expect.stringContaining(message),
    });
  });
});
