/** The shape of `gitleaks-rules.json`, written by scripts/gen-gitleaks-rules.sh from gitleaks' default config. */

/** An allowlist: a finding is dropped when its criteria match ("or": any of them, "and": all of them). */
export interface UpstreamAllowlist {
  description?: string;
  condition: 'or' | 'and';
  /** What `regexes` test: "" the secret, "match" the whole match, "line" the line holding the match. */
  regexTarget: '' | 'match' | 'line';
  regexes: string[];
  /** Lower-case words; the secret containing one is allowed. */
  stopWords: string[];
  /** The allowlist also has path criteria, which cannot apply to a payload. */
  hasPaths: boolean;
}

/** One upstream rule. `regex` is Go RE2 syntax; `path`-only rules have no regex. */
export interface UpstreamRule {
  id: string;
  description: string;
  regex: string;
  path?: string;
  /** The capture group holding the secret; 0 means the first non-empty group, or the whole match. */
  secretGroup: number;
  /** Minimum Shannon entropy (bits per character) of the secret; 0 means no check. */
  entropy: number;
  /** Lower-case words of which one must occur in the text for the rule to run; empty means always run. */
  keywords: string[];
  tags: string[];
  allowlists: UpstreamAllowlist[];
  requiredRules?: string[];
  skipReport?: boolean;
}

/** The rule file. */
export interface UpstreamRuleFile {
  comment: string;
  source: { module: string; version: string; license: string; licenseText: string };
  allowlists: UpstreamAllowlist[];
  rules: UpstreamRule[];
}
