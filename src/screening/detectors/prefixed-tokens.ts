import type { Detector, TextSpan } from '../detector';
import { isKnownExampleSecret } from '../validators/known-examples';
import { looksRandom } from '../validators/random-token';
import { PLATFORM_PREFIX, PLATFORM_TOKEN_RULES } from './platform-tokens';
import { type TokenRule, random2, random3 } from './token-rule';

// Each pattern is a vendor prefix behind a token-boundary lookbehind, then a bounded body. They are only tried
// where PREFIX matched, and the lookbehind lets at most one of "sk-sk-sk-…" start a body scan, so a failed
// attempt costs at most its bound and the detector stays linear.
const RULES: readonly TokenRule[] = [
  {
    class: 'github_token',
    prefix: 'g',
    pattern:
      /(?<![A-Za-z0-9_])(?:gh[pousr]_([A-Za-z0-9]{36,251})|github_pat_([A-Za-z0-9_]{50,251}))(?![A-Za-z0-9_])/y,
    accept: random2,
  },
  {
    class: 'gitlab_token',
    prefix: 'gl',
    // glpat- personal, gloas- OAuth secret, gldt- deploy, glrt- runner, glcbt- CI job, glptt- trigger,
    // glft- feed, glimt- incoming mail, glagent- agent, glsoat- SCIM. Newer tokens append ".xx.yyyyyyyyy".
    pattern:
      /(?<![A-Za-z0-9_-])(?:glpat|gloas|gldt|glrt|glcbt|glptt|glft|glimt|glagent|glsoat)-([A-Za-z0-9_-]{20,64})(?:\.[A-Za-z0-9_-]{1,16}){0,2}(?![A-Za-z0-9_-])/y,
    accept: random2,
  },
  {
    class: 'slack_token',
    prefix: 'xox',
    // xoxb-<team>-<bot>-<secret>, xoxp-<team>-<user>-<id>-<secret>, legacy xoxa/xoxo/xoxr/xoxs. Each
    // digit group ends with "-", which the digits cannot match, so the repetition is unambiguous.
    pattern: /(?<![A-Za-z0-9-])xox[abposr]-(?:[0-9]{1,20}-){1,3}([A-Za-z0-9]{8,64})(?![A-Za-z0-9-])/y,
    accept: (_t, random) => looksRandom(random, { minDistinct: 6 }),
  },
  {
    class: 'slack_token',
    prefix: 'h',
    pattern:
      /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]{6,12}\/[AB][A-Z0-9]{6,12}\/(?:[0-9]{1,20}\/)?([A-Za-z0-9]{16,48})(?![A-Za-z0-9])/y,
    accept: random2,
  },
  {
    class: 'stripe_key',
    prefix: 'k_',
    // Publishable keys (pk_live_, pk_test_) are meant to be public and are not matched.
    pattern: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_([A-Za-z0-9]{16,247})(?![A-Za-z0-9_])/y,
    accept: (token, random) => looksRandom(random) && !isKnownExampleSecret(token),
  },
  {
    class: 'npm_token',
    prefix: 'npm',
    pattern: /(?<![A-Za-z0-9_])npm_([A-Za-z0-9]{36})(?![A-Za-z0-9_])/y,
    accept: random2,
  },
  {
    class: 'anthropic_api_key',
    prefix: 'sk-',
    pattern: /(?<![A-Za-z0-9_-])sk-ant-[a-z]{2,10}[0-9]{2}-([A-Za-z0-9_-]{32,250})(?![A-Za-z0-9_-])/y,
    accept: random2,
  },
  {
    // DeepSeek and Alibaba's DashScope (and others serving OpenAI's API): sk- and 32 lowercase hex digits.
    class: 'api_token',
    rule: 'modelgate-sk-hex-api-key',
    prefix: 'sk-',
    pattern: /(?<![A-Za-z0-9_-])sk-([0-9a-f]{32})(?![A-Za-z0-9_-])/y,
    accept: (_t, random) => /[a-f]/.test(random) && looksRandom(random, { minDistinct: 10 }),
  },
  {
    class: 'openai_api_key',
    prefix: 'sk-',
    // OpenAI keys carry "T3BlbkFJ" (base64 of "OpenAI"); keys without it must look random with all three
    // character kinds, which keeps out kebab-case identifiers such as "sk-button-primary-large-v2".
    pattern:
      /(?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?([A-Za-z0-9_-]{20,250})(?![A-Za-z0-9_-])/y,
    accept: (_t, random) => random.includes('T3BlbkFJ') || (random.length >= 32 && random3(_t, random)),
  },
  // Model providers gitleaks' rule set (v8.30) does not know, each a prefix and a fixed-length random body.
  {
    class: 'api_token',
    rule: 'modelgate-groq-api-key',
    prefix: 'gsk_',
    pattern: /(?<![A-Za-z0-9_])gsk_([A-Za-z0-9]{52})(?![A-Za-z0-9_])/y,
    accept: random3,
  },
  {
    class: 'api_token',
    rule: 'modelgate-xai-api-key',
    prefix: 'xai-',
    pattern: /(?<![A-Za-z0-9_-])xai-([A-Za-z0-9]{80})(?![A-Za-z0-9_-])/y,
    accept: random3,
  },
  {
    class: 'api_token',
    rule: 'modelgate-replicate-api-token',
    prefix: 'r8_',
    pattern: /(?<![A-Za-z0-9_])r8_([A-Za-z0-9]{37})(?![A-Za-z0-9_])/y,
    accept: random3,
  },
  {
    class: 'api_token',
    rule: 'modelgate-langsmith-api-key',
    prefix: 'lsv2_',
    pattern: /(?<![A-Za-z0-9_])lsv2_(?:pt|sk)_([0-9a-f]{32})_[0-9a-f]{10}(?![A-Za-z0-9_])/y,
    accept: (_t, random) => looksRandom(random, { minDistinct: 10 }),
  },
  {
    class: 'api_token',
    rule: 'modelgate-pinecone-api-key',
    prefix: 'pcsk_',
    pattern: /(?<![A-Za-z0-9_])pcsk_[A-Za-z0-9]{4,10}_([A-Za-z0-9]{40,100})(?![A-Za-z0-9_])/y,
    accept: random3,
  },
];

// Every vendor prefix in one alternation: one pass over the text finds the few places where a rule can match,
// instead of one pass per rule (measured: about half the cost of the eight separate scans).
const PREFIX =
  /(?:gh[pousr]|github_pat|gl(?:pat|oas|dt|rt|cbt|ptt|ft|imt|agent|soat)|xox[abposr]|[sr]k_(?:live|test)|npm|sk|gsk|xai|r8|lsv2|pcsk)[_-]|(?:https?:\/\/)?hooks\.slack\.com\//g;

/** Whether the text at a prefix hit can start a token of a rule: "k_" is tested one character in (sk_, rk_). */
function hitMatches(text: string, at: number, prefix: string): boolean {
  return text.startsWith(prefix, prefix === 'k_' ? at + 1 : at);
}

/** Tries RULES in order where `scan` finds a prefix (group 1, when set, is the part before the hit), and reports each accepted token. */
function scanTokens(text: string, scan: RegExp, rules: readonly TokenRule[], out: TextSpan[]): void {
  scan.lastIndex = 0;
  for (let hit = scan.exec(text); hit !== null; hit = scan.exec(text)) {
    const at = hit.index - (hit[1]?.length ?? 0);
    for (const rule of rules) {
      if (!hitMatches(text, at, rule.prefix)) continue;
      rule.pattern.lastIndex = at;
      const m = rule.pattern.exec(text);
      if (m === null) continue;
      const random = m[1] ?? m[2] ?? m[0];
      if (rule.accept(m[0], random)) {
        const span: TextSpan = { start: m.index, end: m.index + m[0].length, class: rule.class };
        if (rule.rule !== undefined) span.rule = rule.rule;
        out.push(span);
      }
      scan.lastIndex = Math.max(scan.lastIndex, m.index + m[0].length);
      break;
    }
  }
}

/**
 * Detects vendor tokens recognisable by their prefix: GitHub, GitLab, Slack, Stripe, npm, OpenAI, Anthropic, model
 * providers' keys (Groq, xAI, Replicate, LangSmith, Pinecone, sk-<32 hex> of DeepSeek and DashScope) and the
 * providers and platforms of platform-tokens.ts.
 */
export const prefixedTokensDetector: Detector = {
  name: 'prefixed-tokens',
  detect(text: string, out: TextSpan[]): void {
    scanTokens(text, PREFIX, RULES, out);
    scanTokens(text, PLATFORM_PREFIX, PLATFORM_TOKEN_RULES, out);
  },
};
