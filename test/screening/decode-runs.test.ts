import { createHash } from 'node:crypto';
import { candidateRuns } from '../../src/screening/decode-runs';
import { detectText } from '../../src/screening/detect-text';
import { fake } from './fake-values';

describe('encoded runs', () => {
  it('reports a base64 run whose decoded text holds a secret, over the whole run', () => {
    const token = fake.githubToken();
    const encoded = Buffer.from(`export GITHUB_TOKEN=${token}`).toString('base64');
    expect(detectText(token).map((s) => s.class)).toEqual(['github_token']); // precondition
    const spans = detectText(`config: ${encoded}`);
    expect(spans.map((s) => [s.class, s.start, s.end])).toEqual([['github_token', 8, 8 + encoded.length]]);
  });

  it('reports a hex run whose decoded text holds an email address', () => {
    const hex = Buffer.from('contact jane.doe@acme-corp.com').toString('hex');
    expect(detectText(`blob ${hex}`).map((s) => s.class)).toEqual(['email']);
  });

  it('skips runs that do not decode to text: digests and random bytes', () => {
    const digest = createHash('sha256').update('x').digest();
    expect(detectText(`sha256 ${digest.toString('hex')} b64 ${digest.toString('base64')}`)).toEqual([]);
  });

  it('decodes two layers: base64 of base64 (or of hex) of a token, not three', () => {
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const token = `token ${fake.githubToken()}`;
    const classes = (text: string): string[] => detectText(text).map((s) => s.class);
    expect(classes(b64(b64(token)))).toEqual(['github_token']);
    expect(classes(b64(Buffer.from(token).toString('hex')))).toEqual(['github_token']);
    expect(classes(b64(b64(b64(token))))).toEqual([]);
  });

  it('decodes base64 wrapped at a fixed width as one block, and reports the whole block', () => {
    const encoded = Buffer.from(`# staging cluster settings\nGITHUB_TOKEN=${fake.githubToken()}`);
    const lines = (width: number, br: string): string =>
      encoded
        .toString('base64')
        .match(new RegExp(`.{1,${width}}`, 'g'))!
        .join(br);
    // Precondition: the token crosses a line break in both widths (bytes 40 to 80; lines of 57 and 48 bytes).
    for (const [width, br] of [
      [76, '\n'],
      [64, '\r\n'],
    ] as const)
      expect(
        lines(width, br)
          .split(br)
          .flatMap((line) => detectText(line)),
      ).toEqual([]);
    for (const block of [lines(76, '\n'), lines(64, '\r\n')]) {
      const spans = detectText(`attached:\n${block}\nthanks`);
      expect(spans.map((s) => [s.class, s.start, s.end])).toEqual([['github_token', 10, 10 + block.length]]);
    }
  });

  it('finds a token across the cut between two chunks of a long base64 run, once', () => {
    const prose = 'lorem ipsum dolor sit amet. '.repeat(2000);
    const token = fake.githubToken();
    // Chunks are 16,384 characters, 12,288 bytes: the token from byte 12,268 crosses the first cut; from byte
    // 12,000 it lies inside the first chunk and within the seam's reach.
    const encoded = (at: number) => Buffer.from(`${prose.slice(0, at)}${token} end`).toString('base64');
    expect(encoded(12_268).length).toBeGreaterThan(16_384); // precondition: two chunks
    for (const at of [12_268, 12_000, 20_000]) {
      const spans = detectText(encoded(at));
      expect([at, spans.map((s) => s.class)]).toEqual([at, ['github_token']]);
    }
  });

  it('ends a wrapped block at a line that ends in padding, or whose length is not whole groups', () => {
    const token = `token ${fake.githubToken()}`;
    const b64 = Buffer.from(token).toString('base64');
    // Joined to a padded line or a 25-character line, the next line's base64 would decode out of step.
    expect(detectText(`${Buffer.from('a line of text, padded').toString('base64')}\n${b64}`)).toHaveLength(1);
    expect(detectText(`${'A'.repeat(25)}\n${b64}`)).toHaveLength(1);
  });
});

describe('candidateRuns', () => {
  // The runs the scan must find are exactly the matches of the two regexes it replaces.
  const HEX = /\b(?:[0-9a-fA-F]{2}){12,8192}\b/g;
  const BASE64 = /[A-Za-z0-9+/_-]{24,16384}={0,2}/g;
  const matches = (re: RegExp, text: string): Array<[number, number]> =>
    [...text.matchAll(re)].map((m) => [m.index, m.index + m[0].length]);

  it('finds the same hex and base64 runs as the regexes, on random text and on runs over 16384 characters', () => {
    let seed = 12;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const alphabets = ['aF09', 'aF09gZ+/-_= .é\n'];
    const texts: string[] = [];
    for (let n = 0; n < 400; n++) {
      const alphabet = alphabets[n % 2] as string;
      const length = n < 6 ? 16384 * 2 + Math.floor(random() * 100) : Math.floor(random() * 300);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet.charAt(Math.floor(random() * alphabet.length));
      texts.push(text);
    }
    const long = texts.filter((t) => matches(BASE64, t).length > 1 && t.length > 16384);
    expect(long.length).toBeGreaterThan(0); // precondition: some runs are chunked
    for (const text of texts) {
      expect(candidateRuns(text)).toEqual({ hex: matches(HEX, text), base64: matches(BASE64, text) });
    }
  });
});
