import type { BuiltinTable } from './builtin';

/** (to be written) */
export const jsonSchemaBuiltins: BuiltinTable = {};
