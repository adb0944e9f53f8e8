import { canonicalJson, CanonicalJsonError } from '../../src/audit/canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text for the same data built in a different key order', () => {
    const one = { subject: 's', outcome: 'allowed', reasons: ['x'] };
    const two = { reasons: ['x'], outcome: 'allowed', subject: 's' };
    expect(JSON.stringify(one)).not.toBe(JSON.stringify(two));
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('sorts keys by UTF-16 code units and writes numbers as ECMAScript does (RFC 8785)', () => {
    // RFC 8785 §3.2.3 example order: "\u20ac" (€) sorts before "\ud83d\ude00" (😀) and after "\u00f6".
    expect(canonicalJson({ '😀': 1, '€': 2, ö: 3, a: 4 })).toBe('{"a":4,"ö":3,"€":2,"😀":1}');
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7])).toBe('[1e+21,0.1,0,1.5e-7]');
  });

  it('writes strings and keys exactly as JSON.stringify does, escapes included', () => {
    const texts = [
      'plain',
      'quote " and \\ backslash',
      'tab\t nl\n nul\u0000',
      'lone \ud800 high',
      'pair 😀',
      '\u2028 é',
    ];
    // Precondition: some of them do need escaping, so both the fast and the escaping path are covered.
    expect(texts.filter((text) => JSON.stringify(text) !== `"${text}"`)).toHaveLength(3);
    for (const text of texts) {
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
      expect(canonicalJson({ [text]: text })).toBe(`{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
    }
  });

  it('omits undefined members like JSON.stringify and writes null for undefined array items', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });

  it('refuses values without a single JSON spelling instead of changing them silently', () => {
    expect(JSON.stringify({ n: NaN })).toBe('{"n":null}');
    expect(() => canonicalJson({ n: NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ n: Infinity })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ n: 1n })).toThrow(CanonicalJsonError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/circular/);
  });

  it('uses toJSON the way JSON.stringify does', () => {
    expect(canonicalJson({ at: new Date('2026-11-22T10:00:00.000Z') })).toBe(
      '{"at":"2026-11-22T10:00:00.000Z"}',
    );
  });
});
