import RE2 from 're2';
import type { Detector, TextSpan } from '../detector';
import { shannonEntropy } from './entropy';
import { KeywordIndex } from './keyword-index';
import ruleFile from './gitleaks-rules.json';
import { classOfRule } from './rule-classes';
import type { UpstreamAllowlist, UpstreamRule, UpstreamRuleFile } from './rule-file';

/** An allowlist with its regexes compiled. */
interface CompiledAllowlist {
  and: boolean;
  target: '' | 'match' | 'line';
  regexes: RE2[];
  stopWords: string[];
}

/** A rule ready to run. */
export interface CompiledRule {
  id: string;
  class: TextSpan['class'];
  regex: RE2;
  secretGroup: number;
  entropy: number;
  keywords: number[];
  allowlists: CompiledAllowlist[];
}

/** The rule file as generated, typed. */
export const UPSTREAM: UpstreamRuleFile = ruleFile as UpstreamRuleFile;

/**
 * Compiles a Go RE2 pattern with the RE2 engine itself (the `re2` package binds Google's RE2), so upstream
 * patterns keep their exact semantics and run in time linear in the input: RE2 has no backtracking.
 */
export function compileRe2(pattern: string, flags = ''): RE2 {
  return new RE2(pattern, flags);
}

function compileAllowlists(lists: readonly UpstreamAllowlist[]): CompiledAllowlist[] {
  // An "and" allowlist with path criteria can never match a payload (it has no path); an "or" one can still
  // match on its regexes and stop words, which is what the path criterion was an alternative to.
  return lists
    .filter((a) => !(a.condition === 'and' && a.hasPaths))
    .map((a) => ({
      and: a.condition === 'and',
      target: a.regexTarget,
      regexes: a.regexes.map((r) => compileRe2(r)),
      stopWords: a.stopWords.map((w) => w.toLowerCase()),
    }));
}

/** The keywords of every rule, numbered, and each rule compiled; path-only and skip-report rules are left out. */
function compile(file: UpstreamRuleFile): {
  rules: CompiledRule[];
  keywords: KeywordIndex;
  global: CompiledAllowlist[];
} {
  const words: string[] = [];
  const numbers = new Map<string, number>();
  const rules = file.rules
    .filter((r: UpstreamRule) => r.regex !== '' && r.skipReport !== true)
    .map((r) => ({
      id: r.id,
      class: classOfRule(r.id),
      // 'd': match indices, for the secret group's offset.
      regex: compileRe2(r.regex, 'gd'),
      secretGroup: r.secretGroup,
      entropy: r.entropy,
      keywords: r.keywords.map((k) => {
        const word = k.toLowerCase();
        let n = numbers.get(word);
        if (n === undefined) {
          n = words.length;
          numbers.set(word, n);
          words.push(word);
        }
        return n;
      }),
      allowlists: compileAllowlists(r.allowlists),
    }));
  return { rules, keywords: new KeywordIndex(words), global: compileAllowlists(file.allowlists) };
}

const COMPILED = compile(UPSTREAM);

/** The compiled upstream rules, for tests and the evaluation. */
export const UPSTREAM_RULES: readonly CompiledRule[] = COMPILED.rules;

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const to = text.indexOf('\n', end);
  return text.slice(from, to === -1 ? text.length : to);
}

function allowed(
  lists: readonly CompiledAllowlist[],
  secret: string,
  match: string,
  line: () => string,
): boolean {
  for (const a of lists) {
    const target = a.target === 'match' ? match : a.target === 'line' ? line() : secret;
    const lower = secret.toLowerCase();
    const byRegex = a.regexes.length > 0 && a.regexes.some((r) => r.test(target));
    const byWord = a.stopWords.length > 0 && a.stopWords.some((w) => lower.includes(w));
    if (a.and) {
      if ((a.regexes.length === 0 || byRegex) && (a.stopWords.length === 0 || byWord)) return true;
    } else if (byRegex || byWord) return true;
  }
  return false;
}

/** Returns where the secret group sits in a match, following gitleaks: the set group, else the first non-empty. */
function secretOf(m: RegExpExecArray, group: number): { value: string; offset: number } {
  const indices = (m as RegExpExecArray & { indices?: Array<[number, number] | undefined> }).indices;
  const pick = (i: number) => {
    const value = m[i];
    const at = indices?.[i];
    if (value === undefined || at === undefined) return undefined;
    return { value, offset: at[0] };
  };
  if (m.length >= 2) {
    if (group > 0) return pick(group) ?? { value: '', offset: m.index };
    for (let i = 1; i < m.length; i++)
      if ((m[i] ?? '') !== '') return pick(i) ?? { value: m[0], offset: m.index };
  }
  return { value: m[0], offset: m.index };
}

/** Runs one rule over `text`, pushing a span for each secret that passes entropy and the allowlists. */
export function runRule(rule: CompiledRule, text: string, out: TextSpan[], global = COMPILED.global): void {
  rule.regex.lastIndex = 0;
  for (let m = rule.regex.exec(text); m !== null; m = rule.regex.exec(text)) {
    if (m[0].length === 0) {
      rule.regex.lastIndex++;
      continue;
    }
    const match = m[0].replace(/^\n+|\n+$/g, '');
    const secret = secretOf(m, rule.secretGroup);
    if (secret.value === '') continue;
    if (rule.entropy !== 0 && shannonEntropy(secret.value) <= rule.entropy) continue;
    const line = () => lineAround(text, m.index, m.index + m[0].length);
    if (allowed(global, secret.value, match, line) || allowed(rule.allowlists, secret.value, match, line))
      continue;
    out.push({
      start: secret.offset,
      end: secret.offset + secret.value.length,
      class: rule.class,
      rule: rule.id,
    });
  }
}

/**
 * The upstream (gitleaks) rules as one detector: one Aho–Corasick pass finds which rules' keywords occur, and
 * only those rules run their RE2 regex.
 */
export const upstreamRulesDetector: Detector = {
  name: 'gitleaks',
  detect(text: string, out: TextSpan[]): void {
    const present = COMPILED.keywords.present(text);
    for (const rule of COMPILED.rules) {
      if (rule.keywords.length > 0 && !rule.keywords.some((k) => present.has(k))) continue;
      runRule(rule, text, out);
    }
  },
};
