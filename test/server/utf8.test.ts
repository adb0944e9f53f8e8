import { isUtf8 } from 'node:buffer';
import { firstInvalidUtf8 } from '../../src/server/json-body';
import { seededRandom } from '../helpers/seeded-random';

// firstInvalidUtf8 names the byte in a 400; node:buffer's isUtf8 (simdutf) is the oracle for what is UTF-8.

describe('firstInvalidUtf8', () => {
  it.each([
    ['ASCII', [0x61, 0x62], 2],
    ['a stray continuation byte', [0x61, 0x80], 1],
    ['an overlong slash', [0xc0, 0xaf], 0],
    ['a surrogate', [0x61, 0xed, 0xa0, 0x80], 1],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a character cut short', [0xe2, 0x82], 0],
    ['the euro sign', [0xe2, 0x82, 0xac], 3],
    ['an emoji', [0xf0, 0x9f, 0x98, 0x80], 4],
  ])('%s', (_name, bytes, offset) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(offset);
  });

  it('agrees with isUtf8 on 20,000 random byte strings, and what comes before the offset is UTF-8', () => {
    const random = seededRandom(8);
    const alphabet = [
      0x41, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
    ];
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(
        Array.from(
          { length: 1 + Math.floor(random() * 8) },
          () => alphabet[Math.floor(random() * alphabet.length)]!,
        ),
      );
      const offset = firstInvalidUtf8(bytes);
      expect({ bytes: bytes.toString('hex'), valid: offset === bytes.length }).toEqual({
        bytes: bytes.toString('hex'),
        valid: isUtf8(bytes),
      });
      expect(isUtf8(bytes.subarray(0, offset))).toBe(true);
    }
  });

  // The largest body a route takes (replay's, 11 MB) with its one bad byte last.
  it('finds a bad byte at the end of 11 MB of ASCII', () => {
    const bytes = Buffer.alloc(11 * 1024 * 1024, 0x61);
    bytes[bytes.length - 1] = 0xff;
    expect(firstInvalidUtf8(bytes)).toBe(bytes.length - 1);
  });
});
