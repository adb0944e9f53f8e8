import RE2 from 're2';
import { overJoin, type Detector, type Joins, type TextSpan } from '../detector';
import { shannonEntropy } from './entropy';
import { KeywordIndex } from './keyword-index';
import ruleFile from './gitleaks-rules.json';
import { classOfRule } from './rule-classes';
import { LOCAL_ALLOWLISTS } from './local-allowlists';
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
  /** The regex for texts screened joined (see detect-joined.ts): its anchors match only at a join. */
  joinedRegex: RE2;
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
    .map((r) => ({ rule: r, pattern: payloadPattern(r) }))
    .map(({ rule: r, pattern }) => ({
      id: r.id,
      class: classOfRule(r.id),
      // 'd': match indices, for the secret group's offset.
      regex: compileRe2(pattern, 'gd'),
      joinedRegex: compileRe2(anchorsAtJoins(pattern), 'gd'),
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
      allowlists: compileAllowlists([...r.allowlists, ...(LOCAL_ALLOWLISTS[r.id] ?? [])]),
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

/**
 * Returns a pattern whose anchors match where texts screened joined meet, rather than at the ends of the whole:
 * `$` and `\z` become the separator's first two characters (newline, NUL), `^` and `\A` its last two, so a
 * match that a text's end or start anchored covers part of the separator, and that text is then screened alone
 * (see detect-joined.ts). Anchors inside character classes and escaped characters are left alone.
 */
export function anchorsAtJoins(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && next === 'z') out += '(?:\\n\\x00)';
      else if (!inClass && next === 'A') out += '(?:\\x00\\n)';
      else out += c + next;
      i++;
    } else if (inClass) {
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A "]" right after "[" or "[^" is a literal member of the class.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (c === '$') out += '(?:\\n\\x00)';
    else if (c === '^') out += '(?:\\x00\\n)';
    else out += c;
  }
  return out;
}

// gitleaks ends 151 of its rules with a terminator: the token, then a quote, backtick, space, semicolon, escaped
// newline or the end. That suits source files; a prompt also puts a token in a tag (<key>…</key>), in
// parentheses, before a comma, at the end of a sentence or in Markdown emphasis, where every such rule missed it.
// Each source-file terminator gitleaks uses (the second is azure-ad-client-secret's), as modelgate widens it.
const PAYLOAD_TERMINATORS: ReadonlyArray<[source: string, payload: string]> = [
  ['(?:[\\x60\'"\\s;]|\\\\[nr]|$)', '(?:[\\x60\'"\\s;,!?)\\]}<>|&*]|\\.(?:\\s|$)|\\\\[nr]|$)'],
  ['(?:$|[\\\\\'"\\x60\\s<),])', '(?:$|[\\\\\'"\\x60\\s<),!?\\]}>|&*;]|\\.(?:\\s|$))'],
];
// azure-ad-client-secret also names what may come before the token; Markdown and brackets are added.
const AZURE_LEAD: [source: string, payload: string] = [
  '(?:^|[\\\\\'"\\x60\\s>=:(,)])',
  '(?:^|[\\\\\'"\\x60\\s>=:(,)*\\[{<|&;])',
];
// A rule with no capturing group whose match ends with the character after the token, e.g. sentry-org-token's
// `…[a-zA-Z0-9+/]{43}(?:[^a-zA-Z0-9+/]|\z)`: without a group the secret would include that character.
const TRAILING_TERMINATOR = /^(.*)(\(\?:\[\^[^\]]*\]\|\\z\))$/s;

// A rule bound to a kind of file (hashicorp-tf-password: .tf) keeps its pattern as written: it describes that
// file's syntax, and widened it would fire on the same words in JSON or Python.
function payloadPattern(rule: UpstreamRule): string {
  return rule.path === undefined ? forPayloads(rule.regex) : rule.regex;
}

/**
 * Returns an upstream pattern as modelgate runs it on payloads: the source-file terminator widened to the
 * characters that end a token in prose and markup, and a trailing terminator kept out of the secret.
 */
export function forPayloads(pattern: string): string {
  const terminator = PAYLOAD_TERMINATORS.find(([source]) => pattern.endsWith(source));
  let widened = terminator ? pattern.slice(0, -terminator[0].length) + terminator[1] : pattern;
  if (widened.startsWith(AZURE_LEAD[0])) widened = AZURE_LEAD[1] + widened.slice(AZURE_LEAD[0].length);
  const trailing = TRAILING_TERMINATOR.exec(widened);
  if (trailing === null || /\((?!\?)/.test(trailing[1]!.replace(/\\./g, ''))) return widened;
  return `(${trailing[1]})${trailing[2]}`;
}

/**
 * For rules whose keywords are common in prose ("ey" and "s." for JWTs and Vault tokens, "sk" for Twilio), a
 * test that the rule's own regex implies, checked before the regex runs: ordinary text holds the keyword
 * ("they", "is. The") but never what follows it in a token. Each test is a literal or one character class
 * that every match must contain (see the rule's regex); test/screening/gitleaks-rules.test.ts checks each
 * against the rule's examples.
 */
export const RULE_PREFILTERS: Readonly<Record<string, (text: string) => boolean>> = {
  // \b(ey[a-zA-Z0-9]{17,}\.ey…: the second segment starts ".ey".
  jwt: (t) => t.includes('.ey'),
  // \b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24}))): "s." then a word character or "-".
  'vault-service-token': (t) => /s\.[\w-]/.test(t),
  // SK[0-9a-fA-F]{32}: upper-case "SK".
  'twilio-api-key': (t) => t.includes('SK'),
  // \b(SG\.(?i)[a-z0-9=_\-\.]{66}): upper-case "SG.".
  'sendgrid-api-token': (t) => t.includes('SG.'),
  // …("[a-z0-9=_\-]{8,20}"): a double quote.
  'hashicorp-tf-password': (t) => t.includes('"'),
};

/** Returns the indices of the rules to run on a text whose keywords are `present`, in rule order. */
function candidateRules(present: Set<number>): number[] {
  if (present.size === 0) return COMPILED.unkeyed;
  const wanted = new Set(COMPILED.unkeyed);
  for (const k of present) for (const i of COMPILED.byKeyword[k]!) wanted.add(i);
  return [...wanted].sort((a, b) => a - b);
}

const COMPILED = compile(UPSTREAM);
const PREFILTERS = COMPILED.rules.map((rule) => RULE_PREFILTERS[rule.id]);

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
 * Returns whether the allowlists of upstream rule `ruleId` (stop words, regexes on the secret, match or line) let
 * `secret` go: for a hand-written detector that reports what that rule's other checks would, such as the hex keys
 * its entropy threshold drops.
 */
export function allowedByUpstreamRule(ruleId: string, secret: string, match: string, line: string): boolean {
  const rule = COMPILED.rules.find((r) => r.id === ruleId);
  return rule !== undefined && allowed(rule.allowlists, secret, match, () => line);
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
  joins?: Joins,
): void {
  const found: Array<[whole: [number, number], secret: [number, number]]> = [];
  const { bytes } = subject;
  const regex = joins === undefined ? rule.regex : rule.joinedRegex;
  regex.lastIndex = 0;
  for (let m = regex.exec(bytes as unknown as string) as ByteMatch | null; m !== null;) {
    const whole = m.indices?.[0];
    const range = secretRange(m, rule.secretGroup);
    if (whole !== undefined && whole[1] === whole[0]) regex.lastIndex++;
    else if (whole !== undefined && range !== undefined && range[1] > range[0]) found.push([whole, range]);
    m = regex.exec(bytes as unknown as string) as ByteMatch | null;
  }
  for (const [whole, range] of found) {
    const from = subject.offset(whole[0]);
    const to = subject.offset(whole[1]);
    // A match over a join (a multi-line rule, or a terminator that took the separator's newline) may have
    // hidden another: the texts it touches are left to the screening of each alone.
    if (joins !== undefined && overJoin(joins, from, to)) {
      joins.unsure.push([from, to]);
      continue;
    }
    const start = subject.offset(range[0]);
    const end = subject.offset(range[1]);
    const secret = subject.text.slice(start, end);
    if (rule.entropy !== 0 && shannonEntropy(secret) <= rule.entropy) continue;
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
  detect(text: string, out: TextSpan[], joins?: Joins): void {
    const present = COMPILED.keywords.present(text);
    let subject: Subject | undefined;
    for (const i of candidateRules(present)) {
      const prefilter = PREFILTERS[i];
      if (prefilter !== undefined && !prefilter(text)) continue;
      subject ??= new Subject(text);
      runRule(COMPILED.rules[i]!, subject, out, COMPILED.global, joins);
    }
  },
};
