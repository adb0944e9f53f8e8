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
  /** The allowlist's regexes as one alternation (one native call per test instead of one per regex). */
  regex: RE2 | undefined;
  /** The stop words (gitleaks' generic rule has about 1,500), matched in one pass; undefined when none. */
  stopWords: KeywordIndex | undefined;
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
      // Each pattern in its own group: an inline flag such as (?i) then applies to that pattern only.
      regex: a.regexes.length === 0 ? undefined : compileRe2(a.regexes.map((r) => `(?:${r})`).join('|')),
      stopWords:
        a.stopWords.length === 0 ? undefined : new KeywordIndex(a.stopWords.map((w) => w.toLowerCase())),
    }));
}

/** The keywords of every rule, numbered, and each rule compiled; path-only and skip-report rules are left out. */
function compile(file: UpstreamRuleFile): {
  rules: CompiledRule[];
  keywords: KeywordIndex;
  global: CompiledAllowlist[];
  byKeyword: number[][];
  unkeyed: number[];
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
  // Which rules each keyword wakes, and the rules that have none (they always run): a text then costs
  // the rules its keywords name, not a look at every rule's keyword list.
  const byKeyword: number[][] = words.map(() => []);
  const unkeyed: number[] = [];
  rules.forEach((rule, i) => {
    if (rule.keywords.length === 0) unkeyed.push(i);
    for (const k of rule.keywords) byKeyword[k]!.push(i);
  });
  return {
    rules,
    keywords: new KeywordIndex(words),
    global: compileAllowlists(file.allowlists),
    byKeyword,
    unkeyed,
  };
}

/** Returns the indices of the rules to run on a text whose keywords are `present`, in rule order. */
function candidateRules(present: Set<number>): number[] {
  if (present.size === 0) return COMPILED.unkeyed;
  const wanted = new Set(COMPILED.unkeyed);
  for (const k of present) for (const i of COMPILED.byKeyword[k]!) wanted.add(i);
  return [...wanted].sort((a, b) => a - b);
}

const COMPILED = compile(UPSTREAM);

/** The compiled upstream rules, for tests and the evaluation. */
export const UPSTREAM_RULES: readonly CompiledRule[] = COMPILED.rules;

// How far the "line" of a match reaches on each side. gitleaks scans files, whose lines are short; a payload
// may be one 256 KiB line, and looking for its ends at every match would take time quadratic in its length.
const LINE_REACH = 1024;

/** Returns the line holding [start, end), at most LINE_REACH characters either side of the match. */
function lineAround(text: string, start: number, end: number): string {
  const floor = Math.max(0, start - LINE_REACH);
  const ceiling = Math.min(text.length, end + LINE_REACH);
  // Searched within the reach only: an unbounded indexOf would run to the end of a text without newlines.
  const head = text.slice(floor, start);
  const tail = text.slice(end, ceiling);
  const before = head.lastIndexOf('\n');
  const after = tail.indexOf('\n');
  return head.slice(before + 1) + text.slice(start, end) + (after === -1 ? tail : tail.slice(0, after));
}

function allowed(
  lists: readonly CompiledAllowlist[],
  secret: string,
  match: string,
  line: () => string,
): boolean {
  for (const a of lists) {
    const target = a.target === 'match' ? match : a.target === 'line' ? line() : secret;
    const byRegex = a.regex !== undefined && a.regex.test(target);
    const byWord = a.stopWords !== undefined && a.stopWords.any(secret);
    if (a.and) {
      if ((a.regex === undefined || byRegex) && (a.stopWords === undefined || byWord)) return true;
    } else if (byRegex || byWord) return true;
  }
  return false;
}

/**
 * A text prepared for the rules: its UTF-8 bytes, converted once. The re2 binding converts a string argument
 * to UTF-8 on every call and keeps only the last conversion, so alternating a rule's `exec` over a long text
 * with allowlist tests on short strings would convert the long text again for every match (quadratic time).
 * Matching the bytes avoids that; offsets come back in bytes and are mapped to UTF-16 offsets here.
 */
export class Subject {
  readonly bytes: Buffer;
  private utf16: Int32Array | undefined;

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
  }

  /** Returns the UTF-16 offset of a UTF-8 byte offset (the start of a code point). */
  offset(byte: number): number {
    if (this.bytes.length === this.text.length) return byte; // ASCII: the same offsets
    if (this.utf16 === undefined) {
      const map = new Int32Array(this.bytes.length + 1);
      let unit = 0;
      for (let b = 0; b < this.bytes.length;) {
        const lead = this.bytes[b] as number;
        const width = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        for (let k = 0; k < width; k++) map[b + k] = unit;
        b += width;
        unit += width === 4 ? 2 : 1;
      }
      map[this.bytes.length] = unit;
      this.utf16 = map;
    }
    return this.utf16[byte] ?? this.text.length;
  }
}

type ByteMatch = RegExpExecArray & { indices?: Array<[number, number] | undefined> };

/** Returns the byte range of the secret in a match, following gitleaks: the set group, else the first non-empty. */
function secretRange(m: ByteMatch, group: number): [number, number] | undefined {
  const at = (i: number): [number, number] | undefined => m.indices?.[i];
  if (m.length >= 2) {
    if (group > 0) return at(group);
    for (let i = 1; i < m.length; i++) {
      const range = at(i);
      if (range !== undefined && range[1] > range[0]) return range;
    }
  }
  return at(0);
}

/**
 * Runs one rule over a subject, pushing a span for each secret that passes entropy and the allowlists. All
 * matches are collected before any allowlist runs: the re2 binding re-derives its position in the input when
 * another regex ran in between, so interleaving the two costs time quadratic in the input's length.
 */
export function runRule(
  rule: CompiledRule,
  subject: Subject,
  out: TextSpan[],
  global = COMPILED.global,
): void {
  const found: Array<[whole: [number, number], secret: [number, number]]> = [];
  const { bytes } = subject;
  const regex = rule.regex;
  regex.lastIndex = 0;
  for (let m = regex.exec(bytes as unknown as string) as ByteMatch | null; m !== null;) {
    const whole = m.indices?.[0];
    const range = secretRange(m, rule.secretGroup);
    if (whole !== undefined && whole[1] === whole[0]) regex.lastIndex++;
    else if (whole !== undefined && range !== undefined && range[1] > range[0]) found.push([whole, range]);
    m = regex.exec(bytes as unknown as string) as ByteMatch | null;
  }
  for (const [whole, range] of found) {
    const start = subject.offset(range[0]);
    const end = subject.offset(range[1]);
    const secret = subject.text.slice(start, end);
    if (rule.entropy !== 0 && shannonEntropy(secret) <= rule.entropy) continue;
    const from = subject.offset(whole[0]);
    const to = subject.offset(whole[1]);
    const match = subject.text.slice(from, to).replace(/^\n+|\n+$/g, '');
    const line = () => lineAround(subject.text, from, to);
    if (!allowed(global, secret, match, line) && !allowed(rule.allowlists, secret, match, line))
      out.push({ start, end, class: rule.class, rule: rule.id });
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
    let subject: Subject | undefined;
    for (const i of candidateRules(present)) {
      subject ??= new Subject(text);
      runRule(COMPILED.rules[i]!, subject, out);
    }
  },
};
