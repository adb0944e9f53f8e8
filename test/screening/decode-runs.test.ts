import { createHash } from 'node:crypto';
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

  it('decodes one level only: base64 of base64 of a token is not unwrapped twice', () => {
    const twice = Buffer.from(Buffer.from(`token ${fake.githubToken()}`).toString('base64')).toString(
      'base64',
    );
    expect(detectText(twice)).toEqual([]);
  });
});
