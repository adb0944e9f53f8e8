import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors';
import { loadVerificationKeys } from '../../src/policy/verification-keys';
import { writeKeyPair } from '../helpers/bundles';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-keys-'));
const rsa = writeKeyPair(dir, 'rsa');
const ec = writeKeyPair(dir, 'ec', 'ec-p256');

function refusal(config: Parameters<typeof loadVerificationKeys>[0]): string {
  try {
    loadVerificationKeys(config, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the keys were accepted');
}

describe('bundle verification keys (OPA `keys`)', () => {
  it('loads PEM public keys from key_file (relative to the config) and HS secrets inline, RS256 by default', () => {
    const keys = loadVerificationKeys(
      {
        ci: { key_file: path.basename(rsa.publicKeyFile), scope: 'prod' },
        edge: { algorithm: 'ES256', key_file: ec.publicKeyFile },
        shared: { algorithm: 'HS256', key: 'a-shared-secret-of-at-least-32-bytes!!' },
      },
      dir,
    );
    expect(keys.get('ci')).toMatchObject({ algorithm: 'RS256', scope: 'prod' });
    expect(keys.get('ci')!.key.asymmetricKeyType).toBe('rsa');
    expect(keys.get('edge')!.key.asymmetricKeyType).toBe('ec');
    expect(keys.get('shared')!.key.type).toBe('secret');
  });

  it.each([
    [
      'an unknown algorithm',
      { k: { algorithm: 'none', key_file: rsa.publicKeyFile } },
      /keys\.k: algorithm none/,
    ],
    [
      'a key that cannot verify its algorithm',
      { k: { algorithm: 'ES256', key_file: rsa.publicKeyFile } },
      /cannot verify ES256/,
    ],
    [
      'both key and key_file',
      { k: { key: 'x', key_file: rsa.publicKeyFile } },
      /exactly one of key or key_file/,
    ],
    ['a missing file', { k: { key_file: 'nope.pem' } }, /cannot read .*nope\.pem \(ENOENT\)/],
    ['text that is not a PEM key', { k: { key: 'not a pem' } }, /not a PEM public key/],
  ])('refuses %s with a ConfigError naming the key', (_name, config, message) => {
    expect(refusal(config)).toMatch(message);
  });
});
