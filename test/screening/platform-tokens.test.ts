/**
 * Developer platforms' and clouds' tokens that gitleaks' rule set (v8.30) does not know, or finds only after an
 * assignment: measured on trufflehog's and secretlint's pattern tests, each was missed when pasted alone.
 */
import { detectText } from '../../src/screening/detect-text';
import { drawn } from './fake-values';

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

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';

// CI, CMS, hosting, analytics and code-quality platforms' tokens, each found where a prompt puts it: alone in a
// sentence, in code, in a log line.
describe('CI, CMS, hosting, analytics and code-quality tokens', () => {
  it.each([
    [
      'a CircleCI personal API token',
      'circleci-token',
      `CCIPAT_${drawn('cci', 22, ALNUM)}_${drawn('cci2', 40, HEX)}`,
    ],
    [
      'a Contentful personal access token',
      'contentful-personal-access-token',
      `CFPAT-${drawn('cf', 43, B64URL)}`,
    ],
    ['a Netlify personal access token', 'netlify-access-token', `nfp_${drawn('nfp', 36, ALNUM)}`],
    ['a PostHog personal API key', 'posthog-api-key', `phx_${drawn('phx', 47, ALNUM)}`],
    [
      'an older PostHog personal API key',
      'posthog-api-key',
      `phx_${drawn('phx43', 20, ALNUM)}_-${drawn('phx43b', 21, ALNUM)}`,
    ],
    ['a PostHog project secret API key', 'posthog-api-key', `phs_${drawn('phs', 47, ALNUM)}`],
    ['a New Relic user API key', 'new-relic-user-api-key', `NRAK-${drawn('nrak', 27, UPPER_DIGITS)}`],
    ['a SonarQube user token', 'sonarqube-token', `squ_${drawn('squ', 40, HEX)}`],
    ['a SonarQube project analysis token', 'sonarqube-token', `sqp_${drawn('sqp', 40, HEX)}`],
    ['a SonarQube global analysis token', 'sonarqube-token', `sqa_${drawn('sqa', 40, HEX)}`],
    ['a SonarCloud token', 'sonarcloud-token', `sqco_${drawn('sqco', 59, ALNUM)}`],
    ['a Buildkite API access token', 'buildkite-api-token', `bkua_${drawn('bkua', 40, LOWER_DIGITS)}`],
    ['an Apify API token', 'apify-api-token', `apify_api_${drawn('apify', 36, ALNUM)}`],
  ])('finds %s alone, in code and in a log', (_name, rule, token) => {
    for (const text of [
      `I rotated it, the old one was ${token}.`,
      `const client = new Client({ token: '${token}' });`,
      `2026-12-02T10:41:49Z WARN request failed token=${token} status=401`,
    ]) {
      const found = detectText(text).filter((s) => s.class === 'api_token');
      expect(found.map((s) => [text.slice(s.start, s.end), s.rule])).toContainEqual([
        token,
        `modelgate-${rule}`,
      ]);
    }
  });

  it.each([
    // Public by design: PostHog project keys go into every web page, SonarQube badge tokens into READMEs.
    ['a PostHog project (client) key', `phc_${drawn('phc', 43, ALNUM)}`],
    ['a SonarQube badge token', `sqb_${drawn('sqb', 40, HEX)}`],
    ['a PostHog placeholder', `phx_${'x'.repeat(47)}`],
    ['a Netlify placeholder', `nfp_your_personal_access_token_here12`],
    ['a New Relic placeholder', `NRAK-${'X'.repeat(27)}`],
    ['a SonarQube placeholder', `squ_${'0'.repeat(40)}`],
    ['a Buildkite placeholder', `bkua_${'abcd'.repeat(10)}`],
    ['a CircleCI placeholder', `CCIPAT_${'X'.repeat(22)}_${'0'.repeat(40)}`],
    ['a Contentful placeholder', `CFPAT-${'-'.repeat(43)}`],
    ['an Apify placeholder', `apify_api_${'x'.repeat(36)}`],
    ['a long identifier after phx_', 'phx_LiveViewSocketConnectionHandler_MountCallback'],
    [
      'identifiers that start like a prefix',
      'graph_node sq_a_index phx_handler nfp_config apify_api_client_factory',
    ],
    ['a hex digest after sqp_ that is too short', `sqp_${drawn('short', 32, HEX)}`],
  ])('leaves %s alone', (_name, text) => {
    expect(apiTokens(`config: ${text}`)).toEqual([]);
  });
});
