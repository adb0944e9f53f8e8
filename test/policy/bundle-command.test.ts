import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBundleFiles } from '../../src/policy/bundle';
import { SIGNATURES_FILE } from '../../src/policy/bundle-signature';
import { opaVerify, writeKeyPair, writePolicySources, type KeyFiles } from '../helpers/bundles';
import { runCli } from '../helpers/cli';
import { bundleRevision, sourcesRevision } from '../helpers/opa';

const root = path.resolve(__dirname, '..', '..');
let dir: string;
let key: KeyFiles;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bundle-cmd-'));
  key = writeKeyPair(dir, 'ci', 'ec-p256');
});

// `bundle build` of the test policy with the decision entrypoint into `out`, and any further options.
const buildPolicy = (out: string, ...options: string[]) =>
  runCli(['bundle', 'build', writePolicySources(), '-o', out, '-e', 'modelgate/decision', ...options]);

// `bundle verify` of `bundle` with the test key pair's public key, and any further options.
const verifyWithKey = (bundle: string, ...options: string[]) =>
  runCli(['bundle', 'verify', bundle, '--verification-key', key.publicKeyFile, ...options]);

describe('modelgate bundle: a policy pipeline with our commands alone', () => {
  it('build (pinned opa) + sign, verify, inspect; OPA accepts the result', async () => {
    const out = path.join(dir, 'policy.tar.gz');
    const built = await buildPolicy(
      out,
      '--revision',
      'ci-42',
      '--signing-key',
      key.privateKeyFile,
      '--signing-alg',
      'ES256',
      '--key-id',
      'policy-ci',
      '--scope',
      'prod',
    );
    expect(built).toMatchObject({ code: 0 });
    expect((await readBundleFiles(out)).has(SIGNATURES_FILE)).toBe(true);

    const verified = await verifyWithKey(
      out,
      '--verification-key-id',
      'policy-ci',
      '--signing-alg',
      'ES256',
      '--scope',
      'prod',
    );
    expect(verified.stdout).toBe(`OK ${out}: revision ci-42, signed by key policy-ci, 4 files\n`);
    // Without --verification-key-id the given key is key "default" (OPA's rule); the line names both.
    const byDefault = await verifyWithKey(out, '--signing-alg', 'ES256', '--scope', 'prod');
    expect(byDefault.stdout).toBe(
      `OK ${out}: revision ci-42, signed by key policy-ci, verified with key default, 4 files\n`,
    );
    expect(opaVerify(out, key.publicKeyFile, { keyId: 'policy-ci', alg: 'ES256', scope: 'prod' })).toBe('');

    const wrongScope = await verifyWithKey(
      out,
      '--verification-key-id',
      'policy-ci',
      '--signing-alg',
      'ES256',
      '--scope',
      'dev',
    );
    expect(wrongScope.code).toBe(1);
    expect(wrongScope.stderr).toMatch(/^bundle_scope_mismatch: /);

    const inspected = await runCli(['bundle', 'inspect', out, '--json']);
    const doc = JSON.parse(inspected.stdout) as { files: { name: string }[] };
    expect(doc).toMatchObject({
      revision: 'ci-42',
      entrypoints: ['modelgate/decision'],
      signature: {
        verified: false,
        header: { alg: 'ES256', kid: 'policy-ci' },
        claims: { scope: 'prod' },
        files: 4,
      },
    });
    expect(doc.files.map((f) => f.name)).toContain('policy.wasm');
  });

  it('refuses to verify without a key unless --allow-unsigned, and says so', async () => {
    const out = path.join(dir, 'unsigned.tar.gz');
    expect(
      await runCli(['bundle', 'build', writePolicySources(), '-o', out, '-e', 'modelgate/decision']),
    ).toMatchObject({ code: 0 });
    expect((await runCli(['bundle', 'verify', out])).code).toBe(2);
    const allowed = await runCli(['bundle', 'verify', out, '--allow-unsigned']);
    expect(allowed.stdout).toMatch(/unsigned\n$/);
    const required = await verifyWithKey(out, '--signing-alg', 'ES256');
    expect(required.stderr).toMatch(/^bundle_unsigned: /);
  });

  it('scripts/build-bundles.sh signs when BUNDLE_SIGNING_KEY is set', async () => {
    const out = path.join(dir, 'built.tar.gz');
    execFileSync(path.join(root, 'scripts', 'build-bundles.sh'), [out], {
      cwd: root,
      stdio: 'pipe',
      env: {
        ...process.env,
        BUNDLE_SIGNING_KEY: key.privateKeyFile,
        BUNDLE_SIGNING_ALG: 'ES256',
        BUNDLE_KEY_ID: 'release',
      },
    });
    const verified = await verifyWithKey(
      out,
      '--verification-key-id',
      'release',
      '--signing-alg',
      'ES256',
      '-e',
      'modelgate/decision',
      '-e',
      'modelgate/limits',
    );
    expect(verified).toMatchObject({ code: 0 });
  }, 60_000);
});

// The service asks modelgate/approve whether an approver may approve; a bundle built without it answers every
// approval with 503. The defaults take it whenever the policy defines it.
describe('modelgate bundle build: default entrypoints', () => {
  const entrypointsOf = async (out: string) => {
    const inspected = await runCli(['bundle', 'inspect', out, '--json']);
    return (JSON.parse(inspected.stdout) as { entrypoints: string[] }).entrypoints;
  };

  it('include modelgate/approve for the shipped policy', async () => {
    const out = path.join(dir, 'shipped.tar.gz');
    const built = await runCli(['bundle', 'build', path.join(root, 'rego'), '-o', out]);
    expect(built).toMatchObject({ code: 0 });
    // Without --revision, the revision npm run build:bundles gives the same sources.
    expect(bundleRevision(out)).toBe(sourcesRevision(path.join(root, 'rego')));
    expect(built.stderr).toContain(`(revision ${sourcesRevision(path.join(root, 'rego'))})`);
    expect(built.stderr).not.toContain('note:');
    expect(await entrypointsOf(out)).toEqual(
      expect.arrayContaining(['modelgate/decision', 'modelgate/limits', 'modelgate/approve']),
    );
  });

  it('leave it out, with a note, for a policy that does not define it', async () => {
    const sources = mkdtempSync(path.join(os.tmpdir(), 'mg-rego-'));
    writeFileSync(
      path.join(sources, 'policy.rego'),
      'package modelgate\n\ndecision := {"allow": true, "reasons": [], "obligations": []}\n\nlimits := {}\n',
    );
    const out = path.join(dir, 'no-approve.tar.gz');
    const built = await runCli(['bundle', 'build', sources, '-o', out]);
    expect(built).toMatchObject({ code: 0 });
    expect(built.stderr).toContain('defines no modelgate/approve');
    expect(await entrypointsOf(out)).not.toContain('modelgate/approve');
  });

  it('still fail on an entrypoint asked for with -e that the policy lacks', async () => {
    const out = path.join(dir, 'asked.tar.gz');
    const built = await runCli([
      'bundle',
      'build',
      writePolicySources(),
      '-o',
      out,
      '-e',
      'modelgate/approve',
    ]);
    expect(built.code).toBe(1);
    expect(built.stderr).toContain('entrypoint "modelgate/approve" does not refer to a rule');
  });
});

// docs/policies.md's first step, `bundle build rego/ -o dist/modelgate.tar.gz`, failed in a fresh checkout:
// opa build does not create the output's folder ("open dist/modelgate.tar.gz: no such file or directory").
describe('modelgate bundle: output paths in folders that do not exist yet', () => {
  it('build creates the folder of -o', async () => {
    const out = path.join(dir, 'fresh', 'dist', 'modelgate.tar.gz');
    expect(existsSync(path.dirname(out))).toBe(false);
    const built = await buildPolicy(out, '--revision', 'r1');
    expect(built).toMatchObject({ code: 0 });
    expect(bundleRevision(out)).toBe('r1');
  });

  it('sign creates the folder of -o', async () => {
    const unsigned = path.join(dir, 'to-sign-elsewhere.tar.gz');
    const built = await buildPolicy(unsigned);
    expect(built.code).toBe(0);
    const out = path.join(dir, 'fresh-signed', 'release', 'modelgate.tar.gz');
    const signed = await runCli([
      'bundle',
      'sign',
      unsigned,
      '-o',
      out,
      '--signing-key',
      key.privateKeyFile,
      '--signing-alg',
      'ES256',
    ]);
    expect(signed).toMatchObject({ code: 0 });
    expect((await readBundleFiles(out)).has(SIGNATURES_FILE)).toBe(true);
  });

  it('capabilities creates the folder of -o', async () => {
    const out = path.join(dir, 'fresh-caps', 'caps.json');
    const written = await runCli(['bundle', 'capabilities', '-o', out]);
    expect(written).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveProperty('builtins');
  });
});

// A signing key that could not be read was found after the build: the unsigned bundle stayed at -o, where the
// next pipeline step (or a person retrying by hand) would pick it up.
describe('modelgate bundle build with a signing key it cannot read', () => {
  it('fails before building and leaves no bundle behind', async () => {
    const out = path.join(dir, 'was-to-be-signed.tar.gz');
    const missingKey = path.join(dir, 'no-such-key.pem');
    const built = await buildPolicy(out, '--signing-key', missingKey, '--signing-alg', 'ES256');
    expect(built.code).toBe(2);
    expect(built.stderr.split('\n')[0]).toBe(`modelgate bundle: cannot read the key file ${missingKey}`);
    expect(existsSync(out)).toBe(false);
  });
});

// OpenSSL's "error:1E08010C:DECODER routines::unsupported" was all a release engineer saw of a wrong key file.
describe('modelgate bundle sign with a key file that holds no private key', () => {
  it('names the option, the file and the algorithm (exit 1), and leaves the bundle as it was', async () => {
    const bundle = path.join(dir, 'to-sign.tar.gz');
    const built = await buildPolicy(bundle);
    expect(built.code).toBe(0);
    const before = readFileSync(bundle);
    const notAKey = path.join(dir, 'notes.txt');
    writeFileSync(notAKey, 'not a key\n');
    const signed = await runCli([
      'bundle',
      'sign',
      bundle,
      '--signing-key',
      notAKey,
      '--signing-alg',
      'ES256',
    ]);
    expect(signed.code).toBe(1);
    expect(signed.stderr).toMatch(
      new RegExp(`^modelgate bundle: cannot sign with --signing-key ${notAKey} \\(ES256\\): .+\\n$`),
    );
    expect(readFileSync(bundle).equals(before)).toBe(true);

    // build --signing-key signs after building: a bundle that could not be signed is not left at -o.
    const out = path.join(dir, 'built-not-signed.tar.gz');
    const args = ['-o', out, '-e', 'modelgate/decision', '--signing-key', notAKey, '--signing-alg', 'ES256'];
    const buildAndSign = await runCli(['bundle', 'build', writePolicySources(), ...args]);
    expect(buildAndSign.code).toBe(1);
    expect(buildAndSign.stderr).toContain(`cannot sign with --signing-key ${notAKey} (ES256)`);
    expect(existsSync(out)).toBe(false);
  });
});

// "ENOENT: no such file or directory, scandir 'rgo'", from the revision hash, was all a typo got.
it('bundle build names Rego sources that are not there (exit 1, nothing written)', async () => {
  const out = path.join(dir, 'from-nowhere.tar.gz');
  const missing = path.join(dir, 'rgo');
  const result = await runCli(['bundle', 'build', missing, '-o', out]);
  expect(result).toEqual({
    code: 1,
    stdout: '',
    stderr: `modelgate bundle: no Rego sources at ${missing}\n`,
  });
  expect(existsSync(out)).toBe(false);
});
