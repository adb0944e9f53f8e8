import { looksRandom } from '../validators/random-token';
import { type TokenRule, random3, randomHex } from './token-rule';

// Base64url or letters-only bodies may lack one character kind; twelve distinct characters keep out
// placeholders ("xxxx…", "abcabc…").
const random2Wide = (_token: string, random: string): boolean => looksRandom(random, { minDistinct: 12 });

const apiToken = (rule: string, prefix: string, pattern: RegExp, accept: TokenRule['accept']): TokenRule => ({
  class: 'api_token',
  rule: `modelgate-${rule}`,
  prefix,
  pattern,
  accept,
});

/**
 * Keys that gitleaks' rule set (v8.30) does not know or finds only next to the vendor's name, each a documented
 * prefix and a bounded random body. Sticky, behind a token-boundary lookbehind, as the rules in prefixed-tokens.ts.
 * Scanned on their own: where the OpenAI rule judges (and drops) "sk-or-v1-…" and "sk-lf-…", these still find them.
 */
export const PLATFORM_TOKEN_RULES: readonly TokenRule[] = [
  // Model providers.
  apiToken(
    'openrouter-api-key',
    'sk-or-v1-',
    /(?<![A-Za-z0-9_-])sk-or-v1-([0-9a-f]{64})(?![A-Za-z0-9_-])/y,
    randomHex,
  ),
  apiToken(
    'langfuse-secret-key',
    'sk-lf-',
    /(?<![A-Za-z0-9_-])sk-lf-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9_-])/y,
    randomHex,
  ),
  // ElevenLabs' current keys; Stripe's sk_live_/sk_test_ cannot match 48 hex digits.
  apiToken('elevenlabs-api-key', 'sk_', /(?<![A-Za-z0-9_-])sk_([0-9a-f]{48})(?![A-Za-z0-9_-])/y, randomHex),
  // gitleaks' Hugging Face rule takes letters only; tokens with digits, and organisation tokens, were missed.
  apiToken('huggingface-token', 'hf_', /(?<![A-Za-z0-9_])hf_([A-Za-z0-9]{34})(?![A-Za-z0-9_])/y, random2Wide),
  apiToken(
    'huggingface-token',
    'api_org_',
    /(?<![A-Za-z0-9_])api_org_([A-Za-z0-9]{34})(?![A-Za-z0-9_])/y,
    random2Wide,
  ),
  apiToken(
    'together-api-key',
    'tgp_v1_',
    /(?<![A-Za-z0-9_])tgp_v1_([A-Za-z0-9_-]{32,64})(?![A-Za-z0-9_-])/y,
    random3,
  ),
  apiToken(
    'nvidia-api-key',
    'nvapi-',
    /(?<![A-Za-z0-9_-])nvapi-([A-Za-z0-9_-]{64})(?![A-Za-z0-9_-])/y,
    random3,
  ),
  apiToken(
    'cerebras-api-key',
    'csk-',
    /(?<![A-Za-z0-9_-])csk-([a-z0-9]{48})(?![A-Za-z0-9_-])/y,
    (_t, random) => /[a-z]/.test(random) && looksRandom(random, { minDistinct: 16 }),
  ),
  // Developer platforms and clouds.
  // tskey-<kind>-<key id>-<secret>: auth, api, client, scim, webhook keys alike.
  apiToken(
    'tailscale-key',
    'tskey-',
    /(?<![A-Za-z0-9_-])tskey-[a-z]{3,10}-[A-Za-z0-9]{6,24}-([A-Za-z0-9]{20,64})(?![A-Za-z0-9_-])/y,
    random3,
  ),
  // Vercel's prefixed tokens: personal (vcp_), integration (vci_), app (vca_), refresh (vcr_), API key (vck_).
  apiToken('vercel-token', 'vc', /(?<![A-Za-z0-9_])vc[pikar]_([A-Za-z0-9]{24,80})(?![A-Za-z0-9_])/y, random3),
  apiToken(
    'docker-access-token',
    'dckr_',
    /(?<![A-Za-z0-9_])dckr_(?:pat|oat)_([A-Za-z0-9_-]{27,32})(?![A-Za-z0-9_-])/y,
    random2Wide,
  ),
  // Cloudflare's user and account API tokens and API keys since 2026: 40 random characters and an 8-hex checksum.
  apiToken(
    'cloudflare-token',
    'cf',
    /(?<![A-Za-z0-9_])cf(?:ut|at|k)_([A-Za-z0-9]{40})[0-9a-f]{8}(?![A-Za-z0-9_])/y,
    random3,
  ),
  apiToken(
    'figma-token',
    'figd_',
    /(?<![A-Za-z0-9_])figd_([A-Za-z0-9_-]{40,54})(?![A-Za-z0-9_-])/y,
    random2Wide,
  ),
  apiToken('supabase-token', 'sbp_', /(?<![A-Za-z0-9_])sbp_([0-9a-f]{40})(?![A-Za-z0-9_])/y, randomHex),
  apiToken(
    'supabase-token',
    'sb_secret_',
    /(?<![A-Za-z0-9_])sb_secret_([A-Za-z0-9_-]{31,64})(?![A-Za-z0-9_-])/y,
    random2Wide,
  ),
  apiToken(
    'gcp-oauth-client-secret',
    'GOCSPX-',
    /(?<![A-Za-z0-9_-])GOCSPX-([A-Za-z0-9_-]{28})(?![A-Za-z0-9_-])/y,
    random2Wide,
  ),
  // Atlassian API tokens (ATATT) and Confluence/Jira Cloud tokens (ATCTT): a long body, "=" and an 8-hex checksum.
  apiToken(
    'atlassian-api-token',
    'AT',
    /(?<![A-Za-z0-9_-])AT[AC]TT3([A-Za-z0-9_=-]{100,250})=[0-9A-F]{8}(?![A-Za-z0-9_=-])/y,
    random3,
  ),
  // CI, CMS, hosting, analytics and code-quality platforms (the formats trufflehog's detectors match by prefix).
  // CircleCI personal API tokens: CCIPAT_, a 22-character id, "_", 40 hex digits.
  apiToken(
    'circleci-token',
    'CCIPAT_',
    /(?<![A-Za-z0-9_])CCIPAT_[A-Za-z0-9]{22}_([0-9a-f]{40})(?![A-Za-z0-9_])/y,
    randomHex,
  ),
  apiToken(
    'contentful-personal-access-token',
    'CFPAT-',
    /(?<![A-Za-z0-9_-])CFPAT-([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/y,
    random2Wide,
  ),
  apiToken(
    'netlify-access-token',
    'nfp_',
    /(?<![A-Za-z0-9_])nfp_([A-Za-z0-9_]{36})(?![A-Za-z0-9_])/y,
    random2Wide,
  ),
  // PostHog: base62 of 35 random bytes after phx_ (personal API keys) and phs_ (project secret keys), of 32 after
  // pha_/phr_ (OAuth); a leading zero byte shortens it. Older personal keys are base64url of 32 bytes (43 characters
  // with "-" and "_"). phc_ project keys are public by design and not matched.
  apiToken(
    'posthog-api-key',
    'ph',
    /(?<![A-Za-z0-9_-])ph[xsar]_([A-Za-z0-9_-]{40,48})(?![A-Za-z0-9_-])/y,
    random3,
  ),
  apiToken(
    'new-relic-user-api-key',
    'NRAK-',
    /(?<![A-Za-z0-9_-])NRAK-([A-Z0-9]{27})(?![A-Za-z0-9_-])/y,
    (_t, random) => /[A-Z]/.test(random) && /[0-9]/.test(random) && looksRandom(random, { minDistinct: 12 }),
  ),
  // SonarQube: sq, the token type (u user, a global analysis, p project analysis), "_", 20 random bytes in hex;
  // sqb_ badge tokens are public and not matched. SonarCloud's newer tokens: sqco_ and 59 alphanumerics.
  apiToken('sonarqube-token', 'sq', /(?<![A-Za-z0-9_])sq[upa]_([0-9a-f]{40})(?![A-Za-z0-9_])/y, randomHex),
  apiToken('sonarcloud-token', 'sqco_', /(?<![A-Za-z0-9_])sqco_([A-Za-z0-9]{59})(?![A-Za-z0-9_])/y, random3),
  apiToken(
    'buildkite-api-token',
    'bkua_',
    /(?<![A-Za-z0-9_])bkua_([a-z0-9]{40})(?![A-Za-z0-9_])/y,
    (_t, random) => /[a-z]/.test(random) && /[0-9]/.test(random) && looksRandom(random, { minDistinct: 12 }),
  ),
  apiToken(
    'apify-api-token',
    'apify_api_',
    /(?<![A-Za-z0-9_])apify_api_([A-Za-z0-9-]{36})(?![A-Za-z0-9_-])/y,
    random3,
  ),
];

// Most of these prefixes end in "_" or "-", rare in prose: the scan stops at those and looks behind for a prefix
// (group 1), which costs a fifth of an alternation of the prefixes themselves, whose many first letters V8 cannot
// skip through (measured on the 32 KiB benchmark text: 0.03 ms against 0.15 ms).
/** Finds where a token of PLATFORM_TOKEN_RULES may start: group 1 is the prefix before the separator matched. */
export const PLATFORM_PREFIX =
  /[_-](?<=(sk-or-v1|sk-lf|csk|sk|hf|api_org|tgp_v1|nvapi|tskey|vc[pikar]|dckr|cf(?:ut|at|k)|figd|sbp|sb_secret|GOCSPX|CCIPAT|CFPAT|nfp|ph[xsar]|NRAK|sq[upa]|sqco|bkua|apify_api)[_-])|AT[AC]TT3/g;
