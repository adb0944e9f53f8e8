/**
 * Developer platforms' and clouds' tokens that gitleaks' rule set (v8.30) does not know, or finds only after an
 * assignment: measured on trufflehog's and secretlint's pattern tests, each was missed when pasted alone.
 */
import { createHash } from 'node:crypto';
import { detectText } from '../../src/screening/detect-text';

// Deterministic random-looking text of an alphabet: the test never flakes on a value that happens to look plain.
function drawn(seed: string, length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; out.length < length; i++) {
    for (const byte of createHash('sha256').update(`${seed}:${i}`).digest()) {
      if (out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const B64URL = `${ALNUM}-_`;

const apiTokens = (text: string) =>
  detectText(text)
    .filter((s) => s.class === 'api_token')
    .map((s) => text.slice(s.start, s.end));

describe('platform tokens', () => {
  it.each([
    ['a Tailscale auth key', `tskey-auth-k${drawn('ts', 11, ALNUM)}-${drawn('ts2', 33, ALNUM)}`],
    ['a Tailscale API key', `tskey-api-k${drawn('tsa', 11, ALNUM)}-${drawn('tsa2', 33, ALNUM)}`],
    ['a Vercel personal token', `vcp_${drawn('vercel', 56, ALNUM)}`],
    ['a Vercel API key', `vck_${drawn('vercelk', 40, ALNUM)}`],
    ['a Docker Hub personal access token', `dckr_pat_${drawn('docker', 27, B64URL)}`],
    ['a Docker Hub organisation token', `dckr_oat_${drawn('dockero', 32, B64URL)}`],
    ['a Cloudflare user API token', `cfut_${drawn('cf', 40, ALNUM)}${drawn('cf2', 8, HEX)}`],
    ['a Cloudflare API key', `cfk_${drawn('cfk', 40, ALNUM)}${drawn('cfk2', 8, HEX)}`],
    ['a Figma personal token', `figd_${drawn('figma', 40, B64URL)}`],
    ['a Supabase access token', `sbp_${drawn('supabase', 40, HEX)}`],
    ['a Supabase secret key', `sb_secret_${drawn('sbs', 31, B64URL)}`],
    ['a Google OAuth client secret', `GOCSPX-${drawn('gocspx', 28, B64URL)}`],
    [
      'an Atlassian API token',
      `ATATT3xFfGF0${drawn('atl', 170, B64URL)}=${drawn('atl2', 8, '0123456789ABCDEF')}`,
    ],
  ])('finds %s alone, after a name and in a sentence', (_name, token) => {
    for (const text of [
      token,
      `export TOKEN=${token}`,
      `{"token": "${token}"}`,
      `here it is: ${token}, thanks`,
    ]) {
      expect(apiTokens(text)).toContain(token);
    }
  });

  it.each([
    ['a Tailscale placeholder', `tskey-auth-${'X'.repeat(12)}-${'Y'.repeat(24)}`],
    ['a Vercel placeholder', `vcp_${'a'.repeat(40)}`],
    ['a C identifier after cfk_', 'cfk_lookup_table_size'],
    ['a Supabase placeholder of zeros', `sbp_${'0'.repeat(40)}`],
    ['a Docker placeholder', `dckr_pat_${'x'.repeat(27)}`],
    ['a word run after figd_', `figd_${'abcdefgh'.repeat(5)}`],
  ])('leaves %s alone', (_name, text) => {
    expect(apiTokens(text)).toEqual([]);
  });
});
