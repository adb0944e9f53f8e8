import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { isMemberPath } from '../validators/code-expression';
import { isPlaceholderValue } from '../validators/placeholder';

// A password-like name followed by an assignment: password=, PASSWORD:, "password": , passwd =>, pwd:=,
// DB_PASSWORD=, Password= in connection strings. The name may have any prefix (PGPASSWORD, db_password) but
// must end right before the optional quote and separator, so password_hash=, password-stdin and passwordless
// do not match. A bare "pass" counts only as the last part of a name (DB_PASS, smtp.pass, redis-pass), where
// it cannot be the English word; that is checked in code rather than with a lookbehind, which would run at
// every position. The search is anchored on the literal name; whitespace runs are bounded.
const ASSIGNMENT = /p(?:ass(?:word|wd|phrase)?|wd)["']?\s{0,3}(?:=>|:=|[:=])[ \t]{0,3}/gi;
// The value: quoted up to the matching quote, or unquoted up to whitespace or a delimiter of the
// surrounding syntax (";" in connection strings, "&" in query strings, ",", ")" "}" "]" in code).
const QUOTED = /(["'`])([^"'`\r\n]{1,256})\1/y;
const UNQUOTED = /[^\s"'`,;&)}\]<>]{1,256}/y;
// <password>…</password> (Maven settings.xml, XML configs).
const XML_ELEMENT = /<([A-Za-z_.-]{0,30}pass(?:word|wd|phrase))>([^<\s]{1,256})<\/\1>/gi;

// Unquoted values that are code, not literals: calls, indexing, and paths ($PWD=/home/runner); member access
// (process.env.X, self.pw) is isMemberPath's, as for every credential name.
const CALL_INDEX_OR_PATH = /[([]|^[/~]/;
// An unquoted value that is itself a password name is a variable: { passphrase: KEYSTORE_PASSPHRASE }.
const NAMES_A_PASSWORD = /pass(?:word|wd|phrase)|pwd/i;
// An unquoted value that is a keyword begins an expression: hashedPassword = await bcrypt.hash(…).
// prettier-ignore
const KEYWORDS: ReadonlySet<string> = new Set([
  'await', 'async', 'new', 'function', 'yield', 'lambda', 'typeof', 'this', 'self', 'super', 'require',
  'import', 'return', 'static', 'const', 'let', 'var', 'def', 'not',
]);

function literal(value: string, quoted: boolean, after: number): boolean {
  if (value.length < 4 || isPlaceholderValue(value)) return false;
  if (quoted) return !value.includes('${') && !value.includes('{{');
  if (CALL_INDEX_OR_PATH.test(value) || isMemberPath(value)) return false;
  if (NAMES_A_PASSWORD.test(value) || KEYWORDS.has(value)) return false;
  // An identifier followed by "," or ")" is an argument: login(user, password=pw).
  return !(/^[A-Za-z_]\w*$/.test(value) && (after === 44 || after === 41));
}

/** Whether the bare "pass" at `at` ends a compound name: a letter or digit, then "_", "." or "-", then "pass". */
function namePart(text: string, at: number): boolean {
  const sep = text.charAt(at - 1);
  return (sep === '_' || sep === '.' || sep === '-') && /[A-Za-z0-9]/.test(text.charAt(at - 2));
}

/** Returns the value assigned at `at`: quoted (without its quotes) or bare. */
function valueAt(text: string, at: number): { text: string; end: number; quoted: boolean } | undefined {
  QUOTED.lastIndex = at;
  const quoted = QUOTED.exec(text);
  if (quoted !== null) {
    const value = quoted[2] as string;
    return { text: value, end: at + 1 + value.length, quoted: true };
  }
  UNQUOTED.lastIndex = at;
  const bare = UNQUOTED.exec(text);
  return bare === null ? undefined : { text: bare[0], end: at + bare[0].length, quoted: false };
}

/**
 * Detects literal passwords assigned to a password/passwd/pwd/passphrase name. The span is the value only,
 * so redaction keeps the name: `DB_PASSWORD=[REDACTED:password_assignment]`. Not reported: placeholders
 * (`changeme`, `<your-password>`, `****`), references (`${DB_PASSWORD}`, `$PASS`, `{{ .Values.pw }}`), type
 * annotations (`password: string`) and code expressions (`password = os.environ["PW"]`).
 */
export const passwordAssignmentDetector: Detector = {
  name: 'password-assignment',
  detect(text: string, out: TextSpan[]): void {
    ASSIGNMENT.lastIndex = 0;
    for (let m = ASSIGNMENT.exec(text); m !== null; m = ASSIGNMENT.exec(text)) {
      if (/^pass["'\s:=]/i.test(m[0]) && !namePart(text, m.index)) continue;
      const at = m.index + m[0].length;
      const value = valueAt(text, at);
      if (value === undefined) continue;
      // The next name is looked for after this value, so "password=password=…" costs one value scan in all.
      ASSIGNMENT.lastIndex = value.end;
      const after = text.charCodeAt(value.end + (value.quoted ? 1 : 0));
      if (literal(value.text, value.quoted, after)) {
        out.push({ start: value.end - value.text.length, end: value.end, class: 'password_assignment' });
      }
    }
    if (text.includes('</'))
      eachMatch(XML_ELEMENT, text, (m) => {
        const value = m[2] as string;
        if (!literal(value, true, 0)) return;
        const start = m.index + (m[1] as string).length + 2;
        out.push({ start, end: start + value.length, class: 'password_assignment' });
      });
  },
};
