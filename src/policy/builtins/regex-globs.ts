import { BuiltinLimitError, type EvaluationContext } from './builtin';
import { stringOperand } from './strings';

// The library's intersection recurses, and crafted globs (long runs of `*` and `+` tokens) take exponential
// time; OPA would be slow too, but here a builtin runs on the event loop and cannot be cancelled. Past this
// many steps the evaluation fails (documented in docs/policies.md, "Builtins").
const MAX_STEPS = 200_000;
let steps = 0;

function spend(): void {
  if (++steps > MAX_STEPS) throw new BuiltinLimitError(`regex.globs_match: more than ${MAX_STEPS} steps`);
}

/** A token of yashtewari/glob-intersection (v0.2.0, OPA's regex.globs_match): a rune, '.', or a [set] as ranges. */
interface GlobToken {
  kind: 'char' | 'dot' | 'set';
  rune?: number;
  ranges?: [number, number][];
  flag: '' | '+' | '*';
}

/** Reads one rune of a glob, a backslash escaping the next; throws on a trailing backslash. */
function globRune(runes: number[], i: number): { at: number; r: number; escaped: boolean } | undefined {
  if (i >= runes.length) return undefined;
  if (runes[i] !== 0x5c) return { at: i + 1, r: runes[i] ?? 0, escaped: false };
  if (i === runes.length - 1) throw new SyntaxError('input ends with a \\ (escape) character');
  return { at: i + 2, r: runes[i + 1] ?? 0, escaped: true };
}

/** Reads a [set] after its '[': runes and ranges ("a-z"), up to an unescaped ']'. */
function globSet(runes: number[], start: number): { at: number; token: GlobToken } {
  const ranges: [number, number][] = [];
  let prev: number | undefined;
  for (let next = globRune(runes, start); next; next = globRune(runes, next.at)) {
    if (next.escaped || (next.r !== 0x2d && next.r !== 0x5d)) {
      ranges.push([next.r, next.r]);
      prev = next.r;
    } else if (next.r === 0x5d) {
      return { at: next.at, token: { kind: 'set', ranges, flag: '' } };
    } else {
      if (prev === undefined || next.at >= runes.length - 1) throw new SyntaxError('bad range in glob set');
      const end = globRune(runes, next.at);
      if (!end || (!end.escaped && (end.r === 0x5d || end.r === 0x2d)) || end.r < prev) {
        throw new SyntaxError('bad range in glob set');
      }
      ranges.push([prev, end.r]);
      prev = undefined;
      next = end;
    }
  }
  throw new SyntaxError('found [ without matching ]');
}

/** Returns the glob's tokens, each with the '+' or '*' after it; equal flagged neighbours are folded into one. */
function globTokens(glob: string): GlobToken[] {
  const runes = Array.from(glob, (c) => c.codePointAt(0) ?? 0);
  const tokens: GlobToken[] = [];
  for (let next = globRune(runes, 0); next;) {
    let token: GlobToken;
    let at = next.at;
    const special = !next.escaped;
    if (special && next.r === 0x5d) throw new SyntaxError("set-close ']' with no preceding '['");
    if (special && (next.r === 0x2b || next.r === 0x2a)) throw new SyntaxError('flag must follow a non-flag');
    if (special && next.r === 0x5b) ({ at, token } = globSet(runes, at));
    else
      token =
        special && next.r === 0x2e ? { kind: 'dot', flag: '' } : { kind: 'char', rune: next.r, flag: '' };
    const flag = globRune(runes, at);
    if (flag && !flag.escaped && (flag.r === 0x2b || flag.r === 0x2a)) {
      token.flag = flag.r === 0x2b ? '+' : '*';
      at = flag.at;
    }
    const last = tokens[tokens.length - 1];
    if (last && last.flag !== '' && token.flag !== '' && sameToken(last, token)) {
      last.flag = last.flag === '+' || token.flag === '+' ? '+' : '*';
    } else {
      tokens.push(token);
    }
    next = globRune(runes, at);
  }
  return tokens;
}

function inSet(r: number, ranges: [number, number][]): boolean {
  return ranges.some(([lo, hi]) => lo <= r && r <= hi);
}

function sameToken(a: GlobToken, b: GlobToken): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'set') return a.rune === b.rune;
  // Sets are equal when they hold the same runes, however written.
  const covers = (x: GlobToken, y: GlobToken) =>
    (x.ranges ?? []).every(([lo, hi]) => {
      for (let r = lo; r <= hi; r++) if (!inSet(r, y.ranges ?? [])) return false;
      return true;
    });
  return covers(a, b) && covers(b, a);
}

/** Whether two tokens can match one rune (a dot matches any set, even an empty one, as the library does). */
function tokensMatch(a: GlobToken, b: GlobToken): boolean {
  if (a.kind === 'dot' || b.kind === 'dot') return true;
  if (a.kind === 'char' && b.kind === 'char') return a.rune === b.rune;
  if (a.kind === 'char') return inSet(a.rune ?? 0, b.ranges ?? []);
  if (b.kind === 'char') return inSet(b.rune ?? 0, a.ranges ?? []);
  return (a.ranges ?? []).some(([lo, hi]) => (b.ranges ?? []).some(([l2, h2]) => lo <= h2 && l2 <= hi));
}

function intersectNormal(g1: GlobToken[], g2: GlobToken[]): boolean {
  spend();
  let i = 0;
  for (; i < g1.length && i < g2.length; i++) {
    const [a, b] = [g1[i], g2[i]];
    if (!a || !b) break;
    if (a.flag !== '' || b.flag !== '')
      return a.flag !== ''
        ? intersectFlagged(g1.slice(i), g2.slice(i))
        : intersectFlagged(g2.slice(i), g1.slice(i));
    if (!tokensMatch(a, b)) return false;
  }
  return i === g1.length && i === g2.length;
}

/** The library's intersection of a glob starting with a flagged token with another glob. */
function intersectFlagged(flagged: GlobToken[], other: GlobToken[]): boolean {
  spend();
  const [head, next] = [flagged[0], flagged[1]];
  if (!head) return false;
  if (head.flag === '+') {
    const first = other[0];
    if (!first || !tokensMatch(head, first)) return false;
    if (intersectStar(flagged, other.slice(1))) return true;
    return first.flag !== '' && intersectNormal(flagged.slice(1), other);
  }
  return intersectStar(flagged, other);
  function intersectStar(starred: GlobToken[], rest: GlobToken[]): boolean {
    for (const [i, t] of rest.entries()) {
      if (next && tokensMatch(t, next) && intersectNormal(starred.slice(1), rest.slice(i))) return true;
      if (!tokensMatch(t, head as GlobToken)) return false;
    }
    return next === undefined;
  }
}

/** OPA's regex.globs_match: whether some string matches both globs, by glob-intersection's own (inexact) algorithm. */
export function globsMatch(_: EvaluationContext, left: unknown, right: unknown): boolean {
  steps = 0;
  const g1 = globTokens(stringOperand(left));
  const g2 = globTokens(stringOperand(right));
  // The library first trims the unflagged tokens both globs share at either end.
  let l = 0;
  for (; l < g1.length && l < g2.length && g1[l]?.flag === '' && g2[l]?.flag === ''; l++) {
    if (!tokensMatch(g1[l] as GlobToken, g2[l] as GlobToken)) return false;
  }
  if (l > 0) l--;
  let [r1, r2] = [g1.length - 1, g2.length - 1];
  for (; r1 >= l && r2 >= l && g1[r1]?.flag === '' && g2[r2]?.flag === ''; r1--, r2--) {
    if (!tokensMatch(g1[r1] as GlobToken, g2[r2] as GlobToken)) return false;
  }
  if (r1 < g1.length - 1) [r1, r2] = [r1 + 1, r2 + 1];
  return intersectNormal(g1.slice(l, r1 + 1), g2.slice(l, r2 + 1));
}
