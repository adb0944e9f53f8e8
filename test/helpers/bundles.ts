/**
 * Bundles for the rollout tests: a tiny Rego policy built by the real `opa build` (signed by OPA
 * itself when asked), keys generated per test, and tarballs rewritten file by file to tamper.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBundleFiles, type BundleFiles } from '../../src/policy/bundle';
import { writeBundleTarball } from '../../src/policy/bundle-signer';
import { opaBinary } from './opa';

/** A signing key pair written as PEM files, as `opa build --signing-key` and our `keys.*.key_file` take them. */
export interface KeyFiles {
  privateKeyFile: string;
  publicKeyFile: string;
}

/** Returns a fresh key pair for an algorithm family, written into `dir`. */
export function writeKeyPair(
  dir: string,
  name: string,
  kind: 'rsa' | 'ec-p256' | 'ec-p384' | 'ed25519' | 'ed448' = 'rsa',
): KeyFiles {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : kind === 'ed448'
          ? generateKeyPairSync('ed448')
          : generateKeyPairSync('ec', { namedCurve: kind === 'ec-p256' ? 'P-256' : 'P-384' });
  const privateKeyFile = path.join(dir, `${name}.pem`);
  const publicKeyFile = path.join(dir, `${name}.pub.pem`);
  writeFileSync(privateKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKeyFile, publicKeyFile };
}

/**
 * Writes a minimal modelgate policy into a bundle folder (`-b` layout): modelgate/decision allows
 * everything; `data.modelgate.tag` gives the bundle a data.json (hashed in OPA's canonical form).
 */
export function writePolicySources(tag = 'one'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-rego-'));
  mkdirSync(path.join(dir, 'modelgate'));
  writeFileSync(
    path.join(dir, 'modelgate', 'decision.rego'),
    'package modelgate\n\ndecision := {"allow": true, "reasons": [], "obligations": []}\n',
  );
  writeFileSync(
    path.join(dir, 'modelgate', 'data.json'),
    JSON.stringify({ tag, limits: { max_tokens: 1024, share: 0.5 } }, null, 2),
  );
  return dir;
}

/** Builds a WASM bundle in bundle mode with the real opa; signs it when `signing` is given (OPA's own signer). */
export function opaBuildBundle(
  sources: string,
  out: string,
  options: {
    revision: string;
    signing?: { key: string; alg?: string; keyId?: string; scope?: string; claimsFile?: string };
  },
): string {
  const args = [
    'build',
    '-b',
    '-t',
    'wasm',
    '-e',
    'modelgate/decision',
    '--revision',
    options.revision,
    '-o',
    out,
  ];
  const s = options.signing;
  if (s) {
    args.push('--signing-key', s.key, '--signing-alg', s.alg ?? 'RS256');
    if (s.claimsFile) args.push('--claims-file', s.claimsFile);
  }
  execFileSync(opaBinary(), [...args, sources], { stdio: 'pipe' });
  return out;
}

/** Runs `opa build -b --verification-key` on a bundle (OPA's verifier); returns '' or OPA's error. */
export function opaVerify(
  bundle: string,
  key: string,
  options: { keyId?: string; alg?: string; scope?: string } = {},
): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-opa-verify-')), 'out.tar.gz');
  const args = ['build', '-b', bundle, '--verification-key', key, '-o', out];
  if (options.keyId) args.push('--verification-key-id', options.keyId);
  if (options.alg) args.push('--signing-alg', options.alg);
  if (options.scope) args.push('--scope', options.scope);
  try {
    execFileSync(opaBinary(), args, { stdio: 'pipe' });
    return '';
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    return `${stdout?.toString('utf8') ?? ''}${stderr?.toString('utf8') ?? ''}` || 'failed';
  }
}

/** Rewrites a bundle tarball through `edit` (add, drop or change files) into `out`. */
export async function rewriteBundle(
  bundle: string,
  out: string,
  edit: (files: BundleFiles) => void,
): Promise<string> {
  const files = await readBundleFiles(bundle);
  edit(files);
  await writeBundleTarball(files, out);
  return out;
}
