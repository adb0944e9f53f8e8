import type { BuiltinTable } from './builtin';

/** (to be written) */
export const semverBuiltins: BuiltinTable = {};
