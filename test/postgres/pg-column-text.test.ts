import { COLUMN_TEXT_BYTES, pgColumnText, restoreColumnText } from '../../src/postgres/pg-column-text';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');

describe('pgColumnText: how PostgreSQL holds a key text', () => {
  it('keeps every text without U+0000 within the limit as it is', () => {
    for (const text of ['', 'spiffe://corp/support/reply-bot', 'a\ufffdb', 'é'.repeat(512), cjk(341)]) {
      expect(pgColumnText(text)).toBe(text);
    }
    expect(pgColumnText(null)).toBeNull();
    expect(pgColumnText(5)).toBe(5);
  });

  it('holds a longer text as a prefix, a mark and its hash, within the limit', () => {
    for (const text of [cjk(342), cjk(2048), 'x'.repeat(1025), '😀'.repeat(600)]) {
      const held = pgColumnText(text);
      expect(bytes(held)).toBeLessThanOrEqual(COLUMN_TEXT_BYTES);
      expect(held).toMatch(/…[0-9a-f]{64}$/);
      expect(text.startsWith(held.slice(0, held.indexOf('…')))).toBe(true);
      expect(held).not.toContain('\ud83d…'); // never half a surrogate pair
      expect(pgColumnText(text)).toBe(held);
    }
  });

  it('holds U+0000 as U+FFFD with a hash, so that it shares no key with a text of U+FFFD', () => {
    const held = pgColumnText('user:a\u0000b');
    expect(held).not.toContain('\u0000');
    expect(held.startsWith('user:a\ufffdb…')).toBe(true);
    expect(held).not.toBe(pgColumnText('user:a\ufffdb'));
    expect(pgColumnText(`${cjk(2048)}x`)).not.toBe(pgColumnText(cjk(2048)));
  });

  it("restores the record's value only from what it makes of it, or from a log written before it", () => {
    const wide = cjk(2048);
    expect(restoreColumnText(pgColumnText(wide), wide)).toBe(wide);
    expect(restoreColumnText(pgColumnText('a\u0000b'), 'a\u0000b')).toBe('a\u0000b');
    expect(restoreColumnText('a\ufffdb', 'a\u0000b')).toBe('a\u0000b'); // written by modelgate before it
    expect(restoreColumnText('an edited subject', wide)).toBe('an edited subject');
    expect(restoreColumnText(pgColumnText(cjk(2047)), wide)).toBe(pgColumnText(cjk(2047)));
    expect(restoreColumnText('same', 'same')).toBe('same');
    expect(restoreColumnText(null, null)).toBeNull();
  });
});
