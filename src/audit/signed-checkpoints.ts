import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { canonicalJson } from './canonical-json';

/** A signed chain head, as stored in audit_checkpoints. */
export interface Checkpoint {
  seq: number;
  hash: string;
  signed_at: string;
  key_id: string;
  /** Ed25519 signature of checkpointMessage(), base64. */
  signature: string;
}

/** Signs chain heads with the configured Ed25519 private key. */
export interface CheckpointSigner {
  readonly keyId: string;
  sign(seq: number, hash: string, signedAt: string): Checkpoint;
}

/** A public key verify accepts checkpoints from. */
export interface CheckpointKey {
  keyId: string;
  key: KeyObject;
}

// Domain separation: a signature over this message can never be mistaken for one over anything else.
const MESSAGE_TYPE = 'modelgate.audit.checkpoint.v1';

/** Returns the exact bytes a checkpoint signature covers: canonical JSON of type, seq, hash, signed_at. */
export function checkpointMessage(seq: number, hash: string, signedAt: string): Buffer {
  return Buffer.from(canonicalJson({ type: MESSAGE_TYPE, seq, hash, signed_at: signedAt }));
}

/** Returns the key id of a public key: hex SHA-256 of its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** Returns a signer for an Ed25519 private key PEM file; throws ConfigError if it is not one. */
export function loadCheckpointSigner(privateKeyFile: string): CheckpointSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(privateKeyFile));
  } catch (err) {
    throw new ConfigError('audit.checkpoint.private_key_file', `cannot read ${privateKeyFile}`, {
      cause: err,
    });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(
      'audit.checkpoint.private_key_file',
      `${privateKeyFile} is a ${privateKey.asymmetricKeyType} key; checkpoints need Ed25519 (modelgate audit keygen)`,
    );
  }
  const keyId = keyIdOf(createPublicKey(privateKey));
  return {
    keyId,
    sign: (seq, hash, signedAt) => ({
      seq,
      hash,
      signed_at: signedAt,
      key_id: keyId,
      signature: sign(null, checkpointMessage(seq, hash, signedAt), privateKey).toString('base64'),
    }),
  };
}

/** Returns a verification key from an Ed25519 public key (PEM text or KeyObject); throws ConfigError otherwise. */
export function loadCheckpointKey(publicKey: string | Buffer | KeyObject): CheckpointKey {
  let key: KeyObject;
  try {
    key =
      typeof publicKey === 'string' || Buffer.isBuffer(publicKey) ? createPublicKey(publicKey) : publicKey;
  } catch (err) {
    throw new ConfigError('public_key', 'is not a PEM public key', { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(
      'public_key',
      `is a ${key.asymmetricKeyType} key; checkpoints are signed with Ed25519`,
    );
  }
  // A private key also yields its public half; verification only ever needs that.
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return { keyId: keyIdOf(pub), key: pub };
}

/** Returns whether a checkpoint's signature is valid under the key. */
export function checkpointSignatureValid(checkpoint: Checkpoint, key: CheckpointKey): boolean {
  const message = checkpointMessage(checkpoint.seq, checkpoint.hash, checkpoint.signed_at);
  try {
    return verify(null, message, key.key, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}

/** The files keygen wrote. */
export interface GeneratedKeys {
  privateKeyFile: string;
  publicKeyFile: string;
  keyId: string;
}

/** Writes a new Ed25519 key pair into dir (private key mode 0600); refuses to overwrite existing files. */
export function generateCheckpointKeys(dir: string): GeneratedKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyFile = join(dir, 'audit-signing.pem');
  const publicKeyFile = join(dir, 'audit-signing.pub.pem');
  for (const file of [privateKeyFile, publicKeyFile]) {
    if (existsSync(file))
      throw new ConfigError('out', `${file} already exists; not replacing a key that may sign checkpoints`);
  }
  // 'wx' as well: never follow a file created between the check above and the write.
  writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    flag: 'wx',
    mode: 0o600,
  });
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), {
    flag: 'wx',
    mode: 0o644,
  });
  return { privateKeyFile, publicKeyFile, keyId: keyIdOf(publicKey) };
}
