/**
 * Words that stand in for a password rather than being one, and type or keyword names that follow
 * `password:` in code (`password: string`, `password = None`). Compared lower-cased.
 */
// prettier-ignore
const PLACEHOLDER_WORDS: ReadonlySet<string> = new Set([
  'password', 'passwd', 'pass', 'pwd', 'passphrase', 'secret', 'changeme', 'change_me', 'changeit',
  'example', 'placeholder', 'redacted', 'hidden', 'masked', 'none', 'null', 'nil', 'undefined', 'true',
  'false', 'empty', 'required', 'optional', 'string', 'str', 'bytes', 'secretstr', 'text', 'varchar', 'char',
  'any', 'unknown', 'int', 'number', 'bool', 'boolean', 'object', 'optional[str]', 'option<string>', 'dummy',
  'test', 'todo', 'tbd', 'xxx', 'n/a', 'na', 'foo', 'bar', 'foobar', 'mypassword', 'yourpassword',
  'your_password', 'your-password', 'password123', 'secret123', 'default', 'value', 'prompt', 'input', 'ask',
  'env',
]);

// Template and variable references: ${VAR} {{ .Values.x }} <your-password> %s %(name)s $VAR $1 @VAR
// process.env.X. Each alternative is anchored and linear: the value is at most a few hundred characters.
const REFERENCE =
  /^(?:\$\{[^}]*\}?|\{\{.*\}\}|\{[A-Za-z_][\w.]*\}|<[^>]*>?|%\(?[\w]*\)?[sd]|\$[A-Za-z_(][\w)]*|@[A-Za-z_]\w*|:[A-Za-z_]\w*)$/;
// A value made of one repeated masking character (****, xxxx, ••••, ....).
const MASK = /^(?:\*+|x+|X+|•+|\.+|_+|-+|#+|\?+|0+)$/;
// Words that mark the value as an instruction rather than a secret.
const INSTRUCTION = /your|example|placeholder|redacted|change_?me|replace_?me|<|>/i;

/** Returns whether a credential value is a placeholder, mask or reference rather than a literal secret. */
export function isPlaceholderValue(value: string): boolean {
  if (value.length === 0) return true;
  if (PLACEHOLDER_WORDS.has(value.toLowerCase())) return true;
  if (MASK.test(value) || REFERENCE.test(value)) return true;
  return INSTRUCTION.test(value);
}
