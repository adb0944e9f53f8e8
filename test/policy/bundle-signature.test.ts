import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { BundleErrorCode } from '../../src/errors';
import { BundleError, readBundleFiles, type BundleFiles } from '../../src/policy/bundle';
import {
  SIGNATURES_FILE,
  verifyBundleSignature,
  type SigningPolicy,
} from '../../src/policy/bundle-signature';
import { signBundleFiles } from '../../src/policy/bundle-signer';
import { loadVerificationKeys, type KeyConfig } from '../../src/policy/verification-keys';
import { runCli } from '../helpers/cli';
import { opaBinary } from '../helpers/opa';
import {
  opaBuildBundle,
  opaVerify,
  rewriteBundle,
  writeKeyPair,
  writePolicySources,
  type KeyFiles,
} from '../helpers/bundles';

const HMAC_SECRET = 'a-shared-secret-of-at-least-32-bytes!!';

let dir: string;
let sources: string;
let rsa: KeyFiles;
let otherRsa: KeyFiles;
let ec: KeyFiles;
let ed25519: KeyFiles;
let otherEd25519: KeyFiles;
let ed448: KeyFiles;
/** Signed by `opa build --signing-key` (RS256, kid "default"). */
let opaSigned: string;
let unsigned: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-sig-'));
  sources = writePolicySources();
  rsa = writeKeyPair(dir, 'rsa');
  otherRsa = writeKeyPair(dir, 'other');
  ec = writeKeyPair(dir, 'ec', 'ec-p256');
  ed25519 = writeKeyPair(dir, 'ed25519', 'ed25519');
  otherEd25519 = writeKeyPair(dir, 'other-ed25519', 'ed25519');
  ed448 = writeKeyPair(dir, 'ed448', 'ed448');
  opaSigned = opaBuildBundle(sources, path.join(dir, 'opa-signed.tar.gz'), {
    revision: 'r1',
    signing: { key: rsa.privateKeyFile },
  });
  unsigned = opaBuildBundle(sources, path.join(dir, 'unsigned.tar.gz'), { revision: 'r1' });
});

function keys(config: Record<string, KeyConfig>) {
  return loadVerificationKeys(config, dir);
}

const required: SigningPolicy = { required: true, excludeFiles: [] };

async function check(
  bundle: string,
  keyConfig: Record<string, KeyConfig>,
  signing: SigningPolicy | undefined = required,
) {
  return verifyBundleSignature(await readBundleFiles(bundle), {
    signing,
    keys: keys(keyConfig),
    nowMs: Date.now(),
  });
}

async function refusal(
  bundle: string,
  keyConfig: Record<string, KeyConfig>,
  signing: SigningPolicy | undefined = required,
) {
  try {
    await check(bundle, keyConfig, signing);
  } catch (err) {
    expect(err).toBeInstanceOf(BundleError);
    return (err as BundleError).code;
  }
  throw new Error('the bundle was accepted');
}

describe('bundles signed by OPA load in modelgate', () => {
  it('accepts `opa build --signing-key` (RS256) and names the key from the JWT kid', async () => {
    const files = await readBundleFiles(opaSigned);
    expect(files.has(SIGNATURES_FILE)).toBe(true);
    const result = await check(opaSigned, { default: { algorithm: 'RS256', key_file: rsa.publicKeyFile } });
    expect(result.keyId).toBe('default');
    expect(result.files).toEqual(expect.arrayContaining(['policy.wasm', 'data.json', '.manifest']));
  });

  it.each([
    ['ES256', () => ec],
    ['PS256', () => rsa],
    // OPA signs EdDSA, and RFC 9864's Ed25519, with an Ed25519 key.
    ['EdDSA', () => ed25519],
    ['Ed25519', () => ed25519],
  ])('accepts %s bundles signed by opa', async (alg, key) => {
    const out = opaBuildBundle(sources, path.join(dir, `opa-${alg}.tar.gz`), {
      revision: 'r1',
      signing: { key: key().privateKeyFile, alg },
    });
    expect((await check(out, { default: { algorithm: alg, key_file: key().publicKeyFile } })).keyId).toBe(
      'default',
    );
  });

  it('accepts HS256 bundles signed by opa with a shared secret', async () => {
    const out = opaBuildBundle(sources, path.join(dir, 'opa-hs.tar.gz'), {
      revision: 'r1',
      signing: { key: HMAC_SECRET, alg: 'HS256' },
    });
    expect((await check(out, { default: { algorithm: 'HS256', key: HMAC_SECRET } })).keyId).toBe('default');
  });

  it('accepts a folder signed by `opa sign`, and a bundle whose data.json was reformatted (OPA hashes parsed JSON)', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'mg-opa-sign-'));
    execFileSync('tar', ['-xzf', unsigned, '-C', folder]);
    // Run from inside the folder, as OPA's docs do: the JWT names files by the path given to --bundle.
    execFileSync(opaBinary(), ['sign', '--signing-key', rsa.privateKeyFile, '--bundle', '.'], {
      cwd: folder,
    });
    // Same JSON, other spelling: keys in another order, other whitespace.
    const data = JSON.parse(readFileSync(path.join(folder, 'data.json'), 'utf8')) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(data).reverse());
    writeFileSync(path.join(folder, 'data.json'), `\n${JSON.stringify(reordered, null, 8)}\n`);
    // `opa sign` puts no kid in the JWT: the key id comes from the configuration, as in OPA.
    const keyConfig = { default: { key_file: rsa.publicKeyFile } };
    expect(await refusal(folder, keyConfig)).toBe(BundleErrorCode.KeyUnknown);
    expect((await check(folder, keyConfig, { ...required, keyId: 'default' })).keyId).toBe('default');
  });
});

describe('bundles signed by `modelgate bundle sign` load in OPA', () => {
  it.each([
    ['RS256', () => rsa.privateKeyFile, () => rsa.publicKeyFile],
    ['ES256', () => ec.privateKeyFile, () => ec.publicKeyFile],
    ['HS256', () => HMAC_SECRET, () => HMAC_SECRET],
    ['EdDSA', () => ed25519.privateKeyFile, () => ed25519.publicKeyFile],
    ['Ed25519', () => ed25519.privateKeyFile, () => ed25519.publicKeyFile],
  ])(
    '%s: opa build --verification-key accepts it, and rejects it with another key',
    async (alg, priv, pub) => {
      const out = path.join(dir, `ours-${alg}.tar.gz`);
      const signed = await runCli([
        'bundle',
        'sign',
        unsigned,
        '-o',
        out,
        '--signing-key',
        priv(),
        '--signing-alg',
        alg,
        '--key-id',
        'ci',
      ]);
      expect(signed).toMatchObject({ code: 0 });
      expect(opaVerify(out, pub(), { keyId: 'ci', alg })).toBe('');
      const wrong = {
        HS256: ['another-secret-that-is-also-long-enough', 'HS256'],
        EdDSA: [otherEd25519.publicKeyFile, 'EdDSA'],
        Ed25519: [otherEd25519.publicKeyFile, 'Ed25519'],
      }[alg] ?? [otherRsa.publicKeyFile, 'RS256'];
      expect(opaVerify(out, wrong[0]!, { keyId: 'ci', alg: wrong[1] })).toMatch(/verif|signature/i);
    },
  );

  it('with a scope: OPA accepts the right scope and refuses another', async () => {
    const out = path.join(dir, 'ours-scoped.tar.gz');
    await runCli([
      'bundle',
      'sign',
      unsigned,
      '-o',
      out,
      '--signing-key',
      rsa.privateKeyFile,
      '--scope',
      'prod',
    ]);
    expect(opaVerify(out, rsa.publicKeyFile, { scope: 'prod' })).toBe('');
    expect(opaVerify(out, rsa.publicKeyFile, { scope: 'dev' })).toMatch(/scope mismatch/);
  });
});

describe('refusals, each with its own code', () => {
  const rsaKey = () => ({ default: { algorithm: 'RS256', key_file: rsa.publicKeyFile } });

  it('bundle_unsigned: signing required and no .signatures.json', async () => {
    expect((await readBundleFiles(unsigned)).has(SIGNATURES_FILE)).toBe(false);
    expect(await refusal(unsigned, rsaKey())).toBe(BundleErrorCode.Unsigned);
    // Not required: an unsigned bundle loads (development).
    expect((await check(unsigned, rsaKey(), { required: false, excludeFiles: [] })).keyId).toBeNull();
  });

  it('bundle_file_unsigned: a file added after signing', async () => {
    const out = await rewriteBundle(opaSigned, path.join(dir, 'extra.tar.gz'), (f) => {
      f.set('modelgate/extra/data.json', Buffer.from('{"backdoor": true}'));
    });
    expect(await refusal(out, rsaKey())).toBe(BundleErrorCode.FileUnsigned);
  });

  it('bundle_file_missing: a signed file removed', async () => {
    const out = await rewriteBundle(opaSigned, path.join(dir, 'missing.tar.gz'), (f) => {
      expect(f.delete('data.json')).toBe(true);
    });
    expect(await refusal(out, rsaKey())).toBe(BundleErrorCode.FileMissing);
  });

  it('bundle_digest_mismatch: a signed file changed', async () => {
    const out = await rewriteBundle(opaSigned, path.join(dir, 'changed.tar.gz'), (f) => {
      const wasm = f.get('policy.wasm')!;
      f.set('policy.wasm', Buffer.concat([wasm, Buffer.from([0])]));
    });
    expect(await refusal(out, rsaKey())).toBe(BundleErrorCode.DigestMismatch);
  });

  it('bundle_signature_invalid: signed with another key', async () => {
    expect(
      await refusal(opaSigned, { default: { algorithm: 'RS256', key_file: otherRsa.publicKeyFile } }),
    ).toBe(BundleErrorCode.SignatureInvalid);
  });

  it('bundle_algorithm_mismatch: the JWT alg is not the key’s configured algorithm', async () => {
    expect(await refusal(opaSigned, { default: { algorithm: 'PS256', key_file: rsa.publicKeyFile } })).toBe(
      BundleErrorCode.AlgorithmMismatch,
    );
  });

  it('bundle_key_unknown: the kid names no configured key', async () => {
    expect(await refusal(opaSigned, { ci: { algorithm: 'RS256', key_file: rsa.publicKeyFile } })).toBe(
      BundleErrorCode.KeyUnknown,
    );
  });

  it('bundle_signature_expired: an exp claim in the past (opa --claims-file)', async () => {
    const claims = path.join(dir, 'expired-claims.json');
    writeFileSync(claims, JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 60 }));
    const out = opaBuildBundle(sources, path.join(dir, 'expired.tar.gz'), {
      revision: 'r1',
      signing: { key: rsa.privateKeyFile, claimsFile: claims },
    });
    expect(await refusal(out, rsaKey(), { ...required, keyId: 'default' })).toBe(
      BundleErrorCode.SignatureExpired,
    );
    // The same of an EdDSA signature, which modelgate, not jsonwebtoken, verifies.
    const edOut = opaBuildBundle(sources, path.join(dir, 'expired-eddsa.tar.gz'), {
      revision: 'r1',
      signing: { key: ed25519.privateKeyFile, alg: 'EdDSA', claimsFile: claims },
    });
    const edKey = { default: { algorithm: 'EdDSA', key_file: ed25519.publicKeyFile } };
    expect(await refusal(edOut, edKey, { ...required, keyId: 'default' })).toBe(
      BundleErrorCode.SignatureExpired,
    );
  });

  it('bundle_signature_invalid, bundle_algorithm_mismatch: an EdDSA bundle checked with another key, or as Ed25519', async () => {
    const out = opaBuildBundle(sources, path.join(dir, 'opa-eddsa-other.tar.gz'), {
      revision: 'r1',
      signing: { key: ed25519.privateKeyFile, alg: 'EdDSA' },
    });
    expect(
      (await check(out, { default: { algorithm: 'EdDSA', key_file: ed25519.publicKeyFile } })).keyId,
    ).toBe('default');
    expect(
      await refusal(out, { default: { algorithm: 'EdDSA', key_file: otherEd25519.publicKeyFile } }),
    ).toBe(BundleErrorCode.SignatureInvalid);
    expect(await refusal(out, { default: { algorithm: 'Ed25519', key_file: ed25519.publicKeyFile } })).toBe(
      BundleErrorCode.AlgorithmMismatch,
    );
  });

  it('refuses Ed448, which OPA can neither sign nor verify, as a key and as an algorithm', async () => {
    expect(() => keys({ k: { algorithm: 'EdDSA', key_file: ed448.publicKeyFile } })).toThrow(
      'config: keys.k: is an Ed448 key, which OPA cannot verify bundles with; use an Ed25519 key',
    );
    expect(() => keys({ k: { algorithm: 'Ed448', key_file: ed448.publicKeyFile } })).toThrow(
      /keys\.k: algorithm Ed448 is not one of .*EdDSA, Ed25519, HS256/,
    );
    const signed = await runCli([
      'bundle',
      'sign',
      unsigned,
      '-o',
      path.join(dir, 'ed448.tar.gz'),
      '--signing-key',
      ed448.privateKeyFile,
      '--signing-alg',
      'Ed448',
    ]);
    expect(signed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--signing-alg must be one of'),
    });
    const eddsa = await runCli([
      'bundle',
      'sign',
      unsigned,
      '-o',
      path.join(dir, 'ed448.tar.gz'),
      '--signing-key',
      ed448.privateKeyFile,
      '--signing-alg',
      'EdDSA',
    ]);
    expect(eddsa.code).not.toBe(0);
    expect(`${eddsa.stdout}${eddsa.stderr}`).toContain(
      'an Ed448 key cannot sign bundles: OPA cannot verify them',
    );
  });

  it('refuses to sign EdDSA with an RSA or EC key, which node:crypto would sign with SHA-256 instead', async () => {
    for (const [key, name] of [
      [rsa, 'an RSA key'],
      [ec, 'an EC P-256 key'],
    ] as const) {
      const out = path.join(dir, 'eddsa-with-other-key.tar.gz');
      const args = ['bundle', 'sign', unsigned, '-o', out, '--signing-key', key.privateKeyFile];
      const result = await runCli([...args, '--signing-alg', 'EdDSA']);
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toContain(`${name} cannot sign EdDSA`);
    }
  });

  it('bundle_scope_mismatch: signed for another scope, or none when one is required', async () => {
    const out = path.join(dir, 'scope-dev.tar.gz');
    await runCli([
      'bundle',
      'sign',
      unsigned,
      '-o',
      out,
      '--signing-key',
      rsa.privateKeyFile,
      '--scope',
      'dev',
    ]);
    expect(await refusal(out, rsaKey(), { ...required, scope: 'prod' })).toBe(BundleErrorCode.ScopeMismatch);
    expect(await refusal(opaSigned, rsaKey(), { ...required, scope: 'prod' })).toBe(
      BundleErrorCode.ScopeMismatch,
    );
    expect((await check(out, rsaKey(), { ...required, scope: 'dev' })).keyId).toBe('default');
  });

  it('bundle_verification_key_missing: a signed bundle and no signing configuration', async () => {
    expect(await refusal(opaSigned, {}, undefined)).toBe(BundleErrorCode.VerificationKeyMissing);
  });

  it('bundle_signature_malformed: two JWTs, or not JSON', async () => {
    const two = await rewriteBundle(opaSigned, path.join(dir, 'two.tar.gz'), (f) => {
      const doc = JSON.parse(f.get(SIGNATURES_FILE)!.toString()) as { signatures: string[] };
      f.set(
        SIGNATURES_FILE,
        Buffer.from(JSON.stringify({ signatures: [doc.signatures[0], doc.signatures[0]] })),
      );
    });
    expect(await refusal(two, rsaKey())).toBe(BundleErrorCode.SignatureMalformed);
    const junk = await rewriteBundle(opaSigned, path.join(dir, 'junk.tar.gz'), (f) => {
      f.set(SIGNATURES_FILE, Buffer.from('not json'));
    });
    expect(await refusal(junk, rsaKey())).toBe(BundleErrorCode.SignatureMalformed);
  });

  it('bundle_hash_algorithm_unsupported: a file listed with an MD5 digest', async () => {
    const files: BundleFiles = await readBundleFiles(unsigned);
    const key = readFileSync(rsa.privateKeyFile, 'utf8');
    const listed = [...files.entries()].map(([name, content]) => ({
      name,
      hash: createHash('md5').update(content).digest('hex'),
      algorithm: 'MD5',
    }));
    const token = jwt.sign({ files: listed }, key, { algorithm: 'RS256', keyid: 'default' });
    const out = await rewriteBundle(unsigned, path.join(dir, 'md5.tar.gz'), (f) => {
      f.set(SIGNATURES_FILE, Buffer.from(JSON.stringify({ signatures: [token] })));
    });
    expect(await refusal(out, rsaKey())).toBe(BundleErrorCode.HashAlgorithmUnsupported);
  });

  it('exclude_files: an excluded extra file is accepted', async () => {
    const out = await rewriteBundle(opaSigned, path.join(dir, 'excluded.tar.gz'), (f) => {
      f.set('README.md', Buffer.from('notes'));
    });
    expect(await refusal(out, rsaKey())).toBe(BundleErrorCode.FileUnsigned);
    expect((await check(out, rsaKey(), { ...required, excludeFiles: ['*.md'] })).keyId).toBe('default');
  });

  it('a tarball holding one path twice is refused: the signed copy could hide beside the one that is loaded', async () => {
    // `tar -t` lists both, `tar -xO` prints both and a reviewer's tool may read the first; modelgate kept the last.
    const folder = mkdtempSync(path.join(os.tmpdir(), 'mg-dup-'));
    execFileSync('tar', ['-xzf', opaSigned, '-C', folder]);
    const plain = path.join(dir, 'duplicate.tar');
    execFileSync('tar', ['-cf', plain, '-C', folder, '.']);
    writeFileSync(path.join(folder, 'data.json'), '{"forged": true}');
    execFileSync('tar', ['-rf', plain, '-C', folder, './data.json']);
    execFileSync('gzip', ['-f', plain]);
    const refusal = await readBundleFiles(`${plain}.gz`).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(BundleError);
    expect((refusal as Error).message).toMatch(/data\.json appears more than once/);
  });

  it('a large data.json is hashed off the event loop, so a forged one cannot stall decisions', async () => {
    // Anyone on the path can copy a valid signature and swap in megabytes of data.json: its canonical hash
    // (parse, sort, re-spell) took seconds on the event loop before the digest mismatch was found.
    const row = '{"subject":"user-000000","tools":["chat","search","code"],"limit":12345},';
    const large = Buffer.from(`{"forged":[${row.repeat(60_000)}1]}`);
    const out = await rewriteBundle(opaSigned, path.join(dir, 'large-data.tar.gz'), (f) => {
      f.set('data.json', large);
    });
    const files = await readBundleFiles(out);
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 1);
    try {
      const verdict = verifyBundleSignature(files, {
        signing: required,
        keys: keys(rsaKey()),
        nowMs: Date.now(),
      });
      await expect(verdict).rejects.toMatchObject({ code: BundleErrorCode.DigestMismatch });
    } finally {
      clearInterval(ticker);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('a large data.json that is signed verifies through the thread', async () => {
    const row = '{"subject":"user-000000","tools":["chat","search","code"],"limit":1.50}, ';
    const out = await rewriteBundle(unsigned, path.join(dir, 'large-signed.tar.gz'), (f) => {
      f.set('data.json', Buffer.from(`{"gate":{"grants":[${row.repeat(30_000)}1]}}`));
      f.set(
        SIGNATURES_FILE,
        Buffer.from(
          signBundleFiles(f, {
            algorithm: 'RS256',
            keyMaterial: readFileSync(rsa.privateKeyFile, 'utf8'),
            keyId: 'default',
          }),
        ),
      );
    });
    expect(opaVerify(out, rsa.publicKeyFile)).toBe('');
    expect((await check(out, rsaKey())).files).toContain('data.json');
  });

  it.each([
    ['a root data.json replaced', '*.json', 'data.json'],
    ['a data.json added at another path', 'extra/*', 'extra/data.json'],
    ['a data.yml added', '*/*', 'gate/data.yml'],
    ['the .manifest replaced', '.*', '.manifest'],
    ['the policy.wasm replaced', '*', 'policy.wasm'],
  ])('exclude_files never covers a file that is evaluated: %s (%s)', async (_what, glob, file) => {
    // A glob meant for notes or metadata must not let anyone on the path change the policy or its data unsigned.
    const out = await rewriteBundle(
      opaSigned,
      path.join(dir, `excluded-${glob.replace(/\W/g, '_')}.tar.gz`),
      (f) => {
        f.set(
          file,
          file === '.manifest' ? Buffer.from('{"revision":"forged"}') : Buffer.from('{"forged": true}'),
        );
      },
    );
    expect(await refusal(out, rsaKey(), { ...required, excludeFiles: [glob] })).toBe(
      BundleErrorCode.FileUnsigned,
    );
  });
});

describe('modelgate bundle verify prints the refusal code', () => {
  it('exits 0 for a good bundle and 1 with bundle_signature_invalid for the wrong key', async () => {
    const ok = await runCli(['bundle', 'verify', opaSigned, '--verification-key', rsa.publicKeyFile]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/revision r1, signed by key default/);
    const bad = await runCli(['bundle', 'verify', opaSigned, '--verification-key', otherRsa.publicKeyFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bundle_signature_invalid: /);
  });
});
