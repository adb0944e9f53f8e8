import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { create as createTar } from 'tar';
import { keyFamilyOf } from '../identity/algorithms';
import { jwsSignature } from '../identity/jws-signature';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';
import type { BundleFiles } from './bundle';
import { SIGNATURES_FILE } from './bundle-signature';
import { opaFileHash } from './opa-file-hash';

/** How to sign: OPA's `--signing-key`, `--signing-alg`, key id and optional scope and claims. */
export interface SigningOptions {
  algorithm: JwtAlgorithm;
  /** PEM private key (RS/PS/ES/EdDSA) or the secret (HS), as `opa build --signing-key` takes it. */
  keyMaterial: string;
  keyId: string;
  scope?: string;
  /** Seconds until the signature expires (`exp`); none by default, as OPA. */
  expiresInSeconds?: number;
  /** Extra claims (OPA's `--claims-file`), e.g. `iss`. */
  claims?: Record<string, unknown>;
}

/** Returns the `.signatures.json` text for these files, in OPA's format (one JWT listing every file's SHA-256). */
export function signBundleFiles(files: BundleFiles, options: SigningOptions): string {
  const listed = [...files.keys()]
    .filter((name) => name !== SIGNATURES_FILE)
    .sort()
    .map((name) => ({ name, hash: opaFileHash(name, files.get(name)!, 'SHA-256'), algorithm: 'SHA-256' }));
  const payload: Record<string, unknown> = { ...options.claims, files: listed, keyid: options.keyId };
  if (options.scope) payload.scope = options.scope;
  const token =
    keyFamilyOf(options.algorithm) === 'okp'
      ? okpToken(payload, options)
      : jwt.sign(payload, signingKey(options), {
          // Every other JwtAlgorithm is one of jsonwebtoken's.
          algorithm: options.algorithm as jwt.Algorithm,
          keyid: options.keyId,
          ...(options.expiresInSeconds ? { expiresIn: options.expiresInSeconds } : {}),
        });
  return `${JSON.stringify({ signatures: [token] }, null, 1)}\n`;
}

// jsonwebtoken 9 cannot sign EdDSA: the JWT it would have made (header alg, typ, kid; iat, unless the claims hold
// one, and exp after the claims), signed with node:crypto.
function okpToken(payload: Record<string, unknown>, options: SigningOptions): string {
  const key = createPrivateKey(options.keyMaterial);
  // EdDSA fits an Ed448 key too, but OPA could never load what it signs.
  if (key.asymmetricKeyType === 'ed448')
    throw new Error('an Ed448 key cannot sign bundles: OPA cannot verify them');
  const iat = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
  const claims = {
    ...payload,
    iat,
    ...(options.expiresInSeconds ? { exp: iat + options.expiresInSeconds } : {}),
  };
  const header = { alg: options.algorithm, typ: 'JWT', kid: options.keyId };
  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  return `${signingInput}.${jwsSignature(signingInput, options.algorithm, key)}`;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function signingKey(options: SigningOptions): KeyObject {
  if (options.algorithm.startsWith('HS')) {
    return createSecretKey(Buffer.from(options.keyMaterial.replace(/\r?\n$/, ''), 'utf8'));
  }
  return createPrivateKey(options.keyMaterial);
}

/** Writes a `.tar.gz` bundle holding these files; written beside `out` and renamed, so readers never see half of it. */
export async function writeBundleTarball(files: BundleFiles, out: string): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mg-bundle-'));
  try {
    for (const [name, content] of files) {
      const file = path.join(dir, name);
      if (!file.startsWith(dir + path.sep)) throw new Error(`refusing a path outside the bundle: ${name}`);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, content);
    }
    const partial = `${out}.partial-${process.pid}`;
    // As opa build's -o in `modelgate bundle build`: a release folder need not exist yet.
    await fs.mkdir(path.dirname(out), { recursive: true });
    // OPA writes entries as `/policy.wasm`, and resolves `.manifest` module paths against that spelling.
    await createTar(
      { gzip: true, file: partial, cwd: dir, portable: true, prefix: '/', preservePaths: true },
      [...files.keys()].sort(),
    );
    await fs.rename(partial, out);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
