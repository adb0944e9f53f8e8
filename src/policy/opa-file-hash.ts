/**
 * The digest OPA puts in a bundle signature for one file (OPA `bundle/hash.go`):
 * - a structured file (`data.json`, `data.yaml`, `.manifest`, `signatures.json`) is parsed and hashed over a
 *   canonical spelling: object keys sorted by their UTF-8 bytes, no whitespace, strings as Go's
 *   encoding/json writes them (HTML characters not escaped), numbers exactly as written in the file
 *   (OPA parses with json.Number, so `1.0` stays `1.0`);
 * - any other file is hashed over its bytes.
 * So whitespace and key order in a data file never break a signature, and this must match OPA byte for byte.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** OPA's names for the digests it accepts in a signature, mapped to node's. MD5 and SHA-1 are refused on purpose. */
export const FILE_HASH_ALGORITHMS: Record<string, string> = {
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

/** Thrown when a structured file cannot be parsed for hashing. */
export class FileHashError extends Error {}

/** Returns whether OPA hashes this bundle path over its parsed JSON rather than its bytes. */
export function isStructuredFile(file: string): boolean {
  const base = path.posix.basename(file);
  return base === 'data.json' || base === 'data.yaml' || base === 'signatures.json' || base === '.manifest';
}

/** Returns the hex digest of a bundle file as OPA computes it; `algorithm` is an OPA name (`SHA-256`). */
export function opaFileHash(file: string, content: Buffer, algorithm: string): string {
  const nodeAlgorithm = FILE_HASH_ALGORITHMS[algorithm];
  if (!nodeAlgorithm) throw new FileHashError(`unsupported hash algorithm ${algorithm}`);
  const hash = createHash(nodeAlgorithm);
  if (!isStructuredFile(file)) return hash.update(content).digest('hex');
  const text = content.toString('utf8');
  const canonical = path.posix.basename(file) === 'data.yaml' ? canonicalYaml(text) : canonicalJsonText(text);
  return hash.update(canonical, 'utf8').digest('hex');
}

// YAML has no number spelling to keep: OPA converts it to JSON first, so its canonical form is that JSON's.
function canonicalYaml(text: string): string {
  try {
    return canonicalJsonText(JSON.stringify(parseYaml(text) ?? null));
  } catch (err) {
    throw new FileHashError(`not valid YAML: ${(err as Error).message}`, { cause: err });
  }
}

/** Returns the canonical spelling OPA hashes for a JSON text (see the file comment). */
export function canonicalJsonText(text: string): string {
  // JSON.parse validates the text; the scanner below then re-reads it keeping number literals as written.
  try {
    JSON.parse(text);
  } catch (err) {
    throw new FileHashError(`not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return new Scanner(text).value();
}

class Scanner {
  private i = 0;
  constructor(private readonly s: string) {}

  value(): string {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return goString(this.string());
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.s.slice(this.i, this.i + 400),
    );
    if (!m) throw new FileHashError(`unexpected character at ${this.i}`);
    this.i += m[0].length;
    return m[0];
  }

  private object(): string {
    this.i++;
    // Go decodes into a map: a repeated key keeps its last value.
    const members = new Map<string, string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return '{}';
    }
    for (;;) {
      this.ws();
      const key = this.string();
      this.ws();
      this.i++; // ':'
      members.set(key, this.value());
      this.ws();
      if (this.s[this.i++] === '}') break;
    }
    const keys = [...members.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${goString(k)}:${members.get(k)!}`).join(',')}}`;
  }

  private array(): string {
    this.i++;
    const items: string[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return '[]';
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      if (this.s[this.i++] === ']') break;
    }
    return `[${items.join(',')}]`;
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private ws(): void {
    while (/[ \t\n\r]/.test(this.s[this.i] ?? '')) this.i++;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// Go's encoder with SetEscapeHTML(false) writes what JSON.stringify writes, except that it also
// escapes U+2028 and U+2029 and replaces lone surrogates (invalid UTF-8) with U+FFFD.
function goString(s: string): string {
  return JSON.stringify(s.replace(LONE_SURROGATE, '\ufffd'))
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
