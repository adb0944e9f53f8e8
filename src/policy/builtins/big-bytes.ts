/** Returns the unsigned big-endian integer in `bytes` (0 for none). */
export const bigFromBytes = (bytes: Buffer): bigint => BigInt(`0x${bytes.toString('hex') || '0'}`);

/** Returns a non-negative integer as its shortest big-endian bytes (Go's big.Int Bytes: none for 0). */
export function bytesFromBig(x: bigint): Buffer {
  if (x === 0n) return Buffer.alloc(0);
  const hex = x.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
