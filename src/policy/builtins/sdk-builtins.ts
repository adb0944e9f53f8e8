import path from 'node:path';
import { goSprintf } from './go-sprintf';
import { regexSplit } from './regex';

type SdkBuiltin = (...args: unknown[]) => unknown;

/**
 * @open-policy-agent/opa-wasm calls its own JavaScript builtins before a host's (src/opa.js, `_builtinCall`),
 * and they throw where OPA's are undefined: sprintf (sprintf-js) on a null, a missing argument or `%q`,
 * regex.split (JavaScript's RegExp) on Go syntax such as `(?i)`. A throw fails the whole evaluation, so one odd
 * value in a deny message denied the decision with policy_error. This replaces, in the SDK's own table,
 * sprintf and regex.split by ours (Go's fmt and RE2, as OPA) and makes any other entry's error an undefined
 * call. Idempotent; run when this module loads.
 */
function mendSdkBuiltins(): void {
  const table = sdkTable();
  table['regex.split'] = (pattern: unknown, value: unknown) => {
    try {
      return regexSplit(pattern, value);
    } catch {
      return undefined;
    }
  };
  table.sprintf = (format: unknown, args: unknown) => {
    if (typeof format !== 'string' || !Array.isArray(args)) return undefined;
    try {
      return goSprintf(format, args);
    } catch {
      return undefined;
    }
  };
  for (const [name, builtin] of Object.entries(table)) {
    if (name === 'sprintf' || name === 'regex.split' || MENDED.has(builtin)) continue;
    const mended: SdkBuiltin = (...args) => {
      try {
        return builtin(...args);
      } catch {
        return undefined;
      }
    };
    MENDED.add(mended);
    table[name] = mended;
  }
}

const MENDED = new WeakSet<SdkBuiltin>();

// The SDK's `exports` map hides src/builtins; the file is required by its path, the same module object the
// SDK holds.
function sdkTable(): Record<string, SdkBuiltin> {
  const main = require.resolve('@open-policy-agent/opa-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(main), 'builtins', 'index.js')) as Record<string, SdkBuiltin>;
}

mendSdkBuiltins();

/** The builtins the SDK implements itself (sprintf being ours since mendSdkBuiltins). */
export const SDK_BUILTIN_NAMES: ReadonlySet<string> = new Set(Object.keys(sdkTable()));
