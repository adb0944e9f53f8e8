import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';

// The domain after "@": up to nine dot-separated labels, ASCII or internationalised (IDNA U-labels such as
// "bücher" or "例え", and their punycode A-labels). The search is anchored on the literal "@"; labels cannot
// contain ".", so the split is unique and a failed match costs at most its bound.
const DOMAIN = /@([\p{L}\p{M}\p{N}-]{1,63}(?:\.[\p{L}\p{M}\p{N}-]{1,63}){1,8})/gu;
// A top-level domain: letters (ASCII, or of another script: "рф", which screening sees partly folded to ASCII
// look-alikes) or a punycode A-label ("xn--p1ai").
const TLD = /^(?:[\p{L}\p{M}]{2,24}|xn--[A-Za-z0-9-]{1,59})$/u;
// An ASCII TLD glued to the text after it, in scripts written without spaces: "…@例え.jpまで".
const GLUED_TLD = /^[A-Za-z]{2,24}(?=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Thai}])/u;
const LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?$/u;
// Common file extensions that are not top-level domains: logo@2x.png, sprite@3x.webp, icon@2x.svg.
// prettier-ignore
const FILE_EXTENSIONS: ReadonlySet<string> = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'tif', 'tiff', 'avif', 'heic', 'js', 'mjs',
  'cjs', 'ts', 'tsx', 'jsx', 'css', 'scss', 'less', 'json', 'yaml', 'yml', 'xml', 'txt', 'log', 'lock',
  'html', 'htm', 'php', 'java', 'class', 'jar', 'pdf', 'csv', 'tsv', 'map', 'wasm', 'woff', 'woff2', 'ttf',
  'otf', 'mp3', 'mp4', 'wav', 'mov', 'gz', 'tgz', 'bz2', 'xz', '7z', 'rar', 'exe', 'dll', 'bin', 'dat',
  'ini', 'cfg', 'toml',
]);
const MAX_LOCAL = 64;

// An internationalised local part (RFC 6531) may hold any letter, mark or digit: "josé.garcía", "用户".
const UNICODE_LOCAL = /^[\p{L}\p{M}\p{N}]$/u;

function isLocalChar(c: number): boolean {
  if (c >= 0x80) return (c >= 0xd800 && c <= 0xdfff) || UNICODE_LOCAL.test(String.fromCharCode(c));
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 46 ||
    c === 95 ||
    c === 37 ||
    c === 43 ||
    c === 45
  );
}

/** Returns whether the "@" at `at` follows URL userinfo (`https://user@host`, `postgres://u:p@host`). */
function inUrlUserinfo(text: string, localStart: number): boolean {
  const before = text.charCodeAt(localStart - 1);
  if (before === 47) return true; // "//user@host"
  if (before !== 58) return false; // not ":" – "mailto:jane@…" is the case to keep
  // "scheme://user:secret@host": look back (bounded) for "://" within the same token.
  for (let i = localStart - 2, n = 0; i >= 2 && n < 128; i--, n++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 34 || c === 39) return false;
    if (c === 47 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 58) return true;
  }
  return false;
}

/** Reports the addresses written with "@": the local part found by walking back from each "@". */
function plainEmails(text: string, out: TextSpan[]): void {
  eachMatch(DOMAIN, text, (m) => {
    const at = m.index;
    let domain = m[1] as string;
    // Nine labels is the bound; a tenth means this is not an address we report.
    if (
      text.charCodeAt(at + 1 + domain.length) === 46 &&
      /[\p{L}\p{N}]/u.test(text.charAt(at + 2 + domain.length))
    )
      return;
    const labels = domain.split('.');
    let tld = labels[labels.length - 1] as string;
    const glued = GLUED_TLD.exec(tld)?.[0];
    if (glued !== undefined) {
      domain = domain.slice(0, domain.length - tld.length + glued.length);
      tld = labels[labels.length - 1] = glued;
    }
    const end = at + 1 + domain.length;
    if (!domainLabelsOk(labels)) return;
    // "git@github.com:corp/repo.git" is an SSH remote, not a mailbox.
    const next = text.charCodeAt(end + 1);
    if (text.charCodeAt(end) === 58 && !Number.isNaN(next) && next !== 32 && next !== 10 && next !== 9)
      return;
    let start = at;
    while (start > 0 && at - start < MAX_LOCAL + 1 && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (at - start > MAX_LOCAL) return;
    while (start < at && text.charCodeAt(start) === 46) start++; // a local part cannot start with "."
    if (start === at || text.charCodeAt(at - 1) === 46) return;
    if (inUrlUserinfo(text, start)) return;
    out.push({ start, end, class: 'email' });
  });
}

/** Returns whether the labels of a domain end in a top-level domain, not a file extension, and are each valid. */
function domainLabelsOk(labels: readonly string[]): boolean {
  const tld = labels[labels.length - 1] as string;
  return TLD.test(tld) && !FILE_EXTENSIONS.has(tld.toLowerCase()) && labels.every((l) => LABEL.test(l));
}

/**
 * Detects email addresses, also written to escape address harvesters (see obfuscatedEmails). The local part
 * is found by walking back from "@" (at most 64 characters), so the scan starts only at "@" signs. Not
 * reported: SSH remotes (`git@github.com:org/repo`), file names (`logo@2x.png`), package specs
 * (`pkg@1.2.3`), URL userinfo, and hosts without a dot (`root@localhost`).
 */
export const emailDetector: Detector = {
  name: 'email',
  detect(text: string, out: TextSpan[]): void {
    if (text.includes('@')) plainEmails(text, out);
    obfuscatedEmails(text, out);
  },
};

// Obfuscated addresses: "jane.doe [at] example [dot] com", "jane.doe(at)example.com", "jane {at} example {dot}
// org", "jane dot doe at example dot com". A bracketed "at" or "dot" ([], (), {}, <>) is never prose; spelled
// out, "at" is, so it counts only with a dotted local part and a spelled or bracketed dot in the domain
// ("look at this dot com" and "jane.doe at example.com" are sentences as often as addresses). The scan is
// anchored on the "at"; the domain is read forward by a sticky regex whose labels cannot hold a separator, and
// the local part is walked back, both bounded. Only spaces and tabs may pad a mark: "print(at)\nos.path" is
// code. No optional space leads AT_MARK: a pattern that may start at any character scans ordinary text, where
// there is nothing to find, a quarter slower; the padding is read by the callers.
const AT_MARK = /[[({<][ \t]?at[ \t]?[\])}>]|[ \t]at[ \t]/gi;
const DOT_MARK = '(?:[ \\t]?[[({<][ \\t]?dot[ \\t]?[\\])}>][ \\t]?|[ \\t]dot[ \\t])';
const OBFUSCATED_DOMAIN = new RegExp(
  `[ \\t]?[\\p{L}\\p{M}\\p{N}-]{1,63}(?:(?:${DOT_MARK}|\\.)[\\p{L}\\p{M}\\p{N}-]{1,63}){1,8}(?![\\p{L}\\p{M}\\p{N}-])`,
  'iuy',
);
const DOT_SPLIT = new RegExp(`${DOT_MARK}|\\.`, 'iu');
const DOT_MARK_BEFORE = new RegExp(`${DOT_MARK}$`, 'iu');
// The longest spelled or bracketed dot: " [ dot ] ".
const MAX_DOT_MARK = 9;

/** Reports addresses with "at" and "dot" bracketed or spelled out, the span covering the whole address. */
function obfuscatedEmails(text: string, out: TextSpan[]): void {
  eachMatch(AT_MARK, text, (m) => {
    const spelled = isBlank(m[0].charCodeAt(0));
    // A bracketed mark is padded on both sides or on neither ("jane (at) example.com", "jane(at)example.com");
    // one side only is code: a call with an argument named "at" ("df.iloc(at) pandas.loc").
    const padBefore = isBlank(text.charCodeAt(m.index - 1));
    if (!spelled && padBefore !== isBlank(text.charCodeAt(m.index + m[0].length))) return;
    // The local part first: in prose, the word before a spelled "at" rarely holds a dot, and walking it back
    // costs less than reading the words after it.
    const local = obfuscatedLocal(text, !spelled && padBefore ? m.index - 1 : m.index);
    if (local === undefined || (spelled && !local.dotted)) return;
    OBFUSCATED_DOMAIN.lastIndex = m.index + m[0].length;
    const domain = OBFUSCATED_DOMAIN.exec(text);
    const name = domain?.[0].trimStart();
    if (domain === null || name === undefined || !domainLabelsOk(name.split(DOT_SPLIT))) return;
    if (spelled && !/[ \t[({<]/.test(name)) return;
    out.push({ start: local.start, end: domain.index + domain[0].length, class: 'email' });
  });
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Returns where the local part before an obfuscated "at" at `end` starts, and whether it holds a dot, written
 * or spelled ("jane.doe", "jane dot doe", "jane[dot]doe"); undefined when there is none or it is too long.
 */
function obfuscatedLocal(text: string, end: number): { start: number; dotted: boolean } | undefined {
  let start = end;
  let dotted = false;
  for (;;) {
    let piece = start;
    while (piece > 0 && end - piece <= MAX_LOCAL && isLocalChar(text.charCodeAt(piece - 1))) piece--;
    if (end - piece > MAX_LOCAL) return undefined;
    const part = text.slice(piece, start);
    if (part === '' || part.startsWith('.') || part.endsWith('.')) return undefined;
    dotted ||= part.includes('.');
    start = piece;
    const mark = DOT_MARK_BEFORE.exec(text.slice(Math.max(0, start - MAX_DOT_MARK), start));
    if (mark === null || !isLocalChar(text.charCodeAt(start - mark[0].length - 1))) return { start, dotted };
    start -= mark[0].length;
    dotted = true;
  }
}
