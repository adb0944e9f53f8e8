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

  it('gives the bytes of a plain member-by-member writer for random values, integer and __proto__ keys included', () => {
    // The reference: RFC 8785 written the obvious way, slow and simple.
    const reference = (v: unknown): string => {
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      if (typeof v === 'object' && v !== null)
        return `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${reference((v as Record<string, unknown>)[k])}`)
          .join(',')}}`;
      return JSON.stringify(v);
    };
    let seed = 42;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const keys = [
      'a',
      'b',
      'Z',
      'é',
      '😀',
      '€',
      '10',
      '9',
      '0',
      '007',
      '__proto__',
      'constructor',
      'k"q',
      'x\n',
    ];
    const atoms = [
      0,
      -0,
      1.5e-7,
      1e21,
      -42,
      0.1,
      'plain',
      'q"uote',
      'nl\n',
      '\ud800 lone',
      true,
      false,
      null,
    ];
    const random = (depth: number): unknown => {
      const kind = depth > 3 ? 0 : next(3);
      if (kind === 0) return atoms[next(atoms.length)];
      if (kind === 1) return Array.from({ length: next(4) }, () => random(depth + 1));
      return JSON.parse(
        `{${Array.from({ length: next(5) }, () => `${JSON.stringify(keys[next(keys.length)])}:${JSON.stringify(random(depth + 1))}`).join(',')}}`,
      ) as unknown;
    };
    let integerKeys = 0;
    let protoKeys = 0;
    for (let i = 0; i < 2000; i++) {
      const value = random(0);
      const text = JSON.stringify(value);
      if (/"\d+":/.test(text)) integerKeys++;
      if (text.includes('"__proto__":')) protoKeys++;
      expect(canonicalJson(value)).toBe(reference(value));
    }
    expect(integerKeys).toBeGreaterThan(100); // precondition: both paths were taken
    expect(protoKeys).toBeGreaterThan(100);
  });

  it('uses toJSON the way JSON.stringify does', () => {
    expect(canonicalJson({ at: new Date('2026-11-22T10:00:00.000Z') })).toBe(
      '{"at":"2026-11-22T10:00:00.000Z"}',
    );
  });
});
