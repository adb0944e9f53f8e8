import { normalise, originalSpan } from '../../src/screening/normalise';

describe('normalise', () => {
  it('returns pure ASCII text without a map', () => {
    expect(normalise('plain ascii, 100% sure')).toEqual({ text: 'plain ascii, 100% sure' });
  });

  it('drops format characters and maps a span back over them', () => {
    const text = 'key gh\u200bp_abc';
    const n = normalise(text);
    expect(n.text).toBe('key ghp_abc');
    const at = n.text.indexOf('ghp_abc');
    expect(originalSpan(n, at, at + 7)).toEqual({ start: 4, end: text.length });
  });

  it('folds full-width forms, look-alike letters and other scripts’ digits', () => {
    expect(normalise('\uff21KIA \u0410KIA \u0664\u0661 a\uff20b').text).toBe('AKIA AKIA 41 a@b');
  });

  it('decodes percent escapes of printable ASCII only, mapping each back to its three characters', () => {
    const n = normalise('t%3Dghp%5Fx %0A %E2%82');
    expect(n.text).toBe('t=ghp_x %0A %E2%82');
    expect(originalSpan(n, 1, 2)).toEqual({ start: 1, end: 4 });
  });

  it('decodes HTML character references and backslash escapes of printable ASCII, mapping each back', () => {
    const n = normalise('&#103;&#x68;p_ \\u0041KIA \\x67hp &#10; &#x263A; \\u263a &#65 \\xZZ');
    expect(n.text).toBe('ghp_ AKIA ghp &#10; &#x263A; \\u263a &#65 \\xZZ');
    expect(originalSpan(n, 0, 1)).toEqual({ start: 0, end: 6 });
    expect(originalSpan(n, 5, 6)).toEqual({ start: 15, end: 21 });
  });
});
