import { createECDH } from 'node:crypto';
import { bigFromBytes } from './big-bytes';

/** A NIST curve as Go's crypto/ecdsa knows it: node's name, JWK's name (none for P-224), sizes and order. */
export interface EcCurve {
  node: string;
  jwk?: string;
  /** Bytes of a coordinate or a scalar. */
  size: number;
  order: bigint;
}

/** The curves Go reads EC keys on, by the OID of their name. */
export const EC_CURVES: Readonly<Record<string, EcCurve>> = {
  '1.3.132.0.33': {
    node: 'secp224r1',
    size: 28,
    order: 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn,
  },
  '1.2.840.10045.3.1.7': {
    node: 'prime256v1',
    jwk: 'P-256',
    size: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  '1.3.132.0.34': {
    node: 'secp384r1',
    jwk: 'P-384',
    size: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  '1.3.132.0.35': {
    node: 'secp521r1',
    jwk: 'P-521',
    size: 66,
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};

/** Returns the curve a JWK's `crv` names, if it is one of P-256, P-384 and P-521. */
export function curveOfJwk(crv: string): EcCurve | undefined {
  return Object.values(EC_CURVES).find((curve) => curve.jwk === crv);
}

/**
 * Returns the public point d·G of a private scalar (of the curve's size) as x and y, as Go's
 * ecdsa.ParseRawPrivateKey derives it; throws unless 0 < d < the curve's order, as Go does.
 */
export function publicPoint(curve: EcCurve, d: Buffer): { x: Buffer; y: Buffer } {
  const scalar = bigFromBytes(d);
  if (d.length !== curve.size || scalar === 0n || scalar >= curve.order) {
    throw new Error('crypto/ecdsa: invalid private key');
  }
  const ecdh = createECDH(curve.node);
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  return { x: point.subarray(1, 1 + curve.size), y: point.subarray(1 + curve.size) };
}
