import { createPrivateKey, type KeyObject } from 'node:crypto';

// RFC 8410's PKCS #8 encoding of a curve25519 private key: a fixed prefix, then the 32-byte key.
const PKCS8_PREFIX = {
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
};

/** Returns node's key for an Ed25519 seed or an X25519 private key (32 bytes). */
export function okpPrivateKey(kind: 'ed25519' | 'x25519', privateBytes: Buffer): KeyObject {
  const der = Buffer.concat([PKCS8_PREFIX[kind], privateBytes]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Returns the public key (32 bytes) of an Ed25519 seed or an X25519 private key. */
export function okpPublicKey(kind: 'ed25519' | 'x25519', privateBytes: Buffer): Buffer {
  return Buffer.from(okpPrivateKey(kind, privateBytes).export({ format: 'jwk' }).x!, 'base64url');
}
