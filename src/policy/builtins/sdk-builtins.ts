import path from 'node:path';
import type { BuiltinTable } from './builtin';
import { goSprintf } from './go-sprintf';

type SdkBuiltin = (...args: unknown[]) => unknown;

// The SDK's `exports` map hides src/builtins; the file is required by its path.
function sdkTable(): Record<string, SdkBuiltin> {
  const main = require.resolve('@open-policy-agent/opa-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(main), 'builtins', 'index.js')) as Record<string, SdkBuiltin>;
}

/**
 * The builtins @open-policy-agent/opa-wasm implements in JavaScript (src/builtins/): its YAML and
 * `json.is_valid` as they are, and, in place of its sprintf (sprintf-js, which printed objects as
 * `[object Object]` and threw on a null or a missing argument), ours: Go's fmt, as OPA's. Its regex.split
 * (JavaScript's RegExp) is replaced by regex.ts's, on RE2.
 */
export const sdkBuiltins: BuiltinTable = {
  ...Object.fromEntries(
    Object.entries(sdkTable())
      .filter(([name]) => name !== 'sprintf' && name !== 'regex.split')
      .map(([name, builtin]) => [name, (_context: unknown, ...args: unknown[]) => builtin(...args)]),
  ),
  sprintf: (_context, format, args) => {
    if (typeof format !== 'string' || !Array.isArray(args)) throw new TypeError('sprintf(string, array)');
    return goSprintf(format, args);
  },
};
