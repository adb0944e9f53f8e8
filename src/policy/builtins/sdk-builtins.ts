import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { BuiltinTable } from './builtin';
import { goSprintf } from './go-sprintf';

type SdkBuiltin = (...args: unknown[]) => unknown;

// The SDK's `exports` map hides src/builtins; the file is required by its path.
function sdkTable(): Record<string, SdkBuiltin> {
  const main = require.resolve('@open-policy-agent/opa-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(main), 'builtins', 'index.js')) as Record<string, SdkBuiltin>;
}

const sdk = sdkTable();

/** Returns the text of a YAML stream's first document when the SDK's parser reads it and every document parses. */
function firstDocument(text: string): string | undefined {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return undefined;
  if (documents.length <= 1) return sdk['yaml.is_valid']!(text) === true ? text : undefined;
  if (documents.some((d) => d.errors.length > 0)) return undefined;
  const [start, end] = documents[0]!.range;
  const first = text.slice(start, end);
  return sdk['yaml.is_valid']!(first) === true ? first : undefined;
}

/**
 * The builtins @open-policy-agent/opa-wasm implements in JavaScript (src/builtins/): its YAML (reading a `---`
 * stream as OPA does) and `json.is_valid`, and, in place of its sprintf (sprintf-js, which printed objects as
 * `[object Object]` and threw on a null or a missing argument), ours: Go's fmt, as OPA's. Its regex.split
 * (JavaScript's RegExp) is replaced by regex.ts's, on RE2.
 */
export const sdkBuiltins: BuiltinTable = {
  ...Object.fromEntries(
    Object.entries(sdk)
      .filter(([name]) => name !== 'sprintf' && name !== 'regex.split')
      .map(([name, builtin]) => [name, (_context: unknown, ...args: unknown[]) => builtin(...args)]),
  ),
  // The SDK's YAML (yaml v1) reads one document; OPA reads a `---` stream's first, if every one parses.
  'yaml.is_valid': (_context, text) => typeof text === 'string' && firstDocument(text) !== undefined,
  'yaml.unmarshal': (_context, text) => {
    const first = typeof text === 'string' ? firstDocument(text) : undefined;
    if (first === undefined) throw new Error('invalid YAML');
    return sdk['yaml.unmarshal']!(first);
  },
  sprintf: (_context, format, args) => {
    if (typeof format !== 'string' || !Array.isArray(args)) throw new TypeError('sprintf(string, array)');
    return goSprintf(format, args);
  },
};
