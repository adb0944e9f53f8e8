import { readFileSync } from 'node:fs';
import path from 'node:path';

/** modelgate's version, from its package.json (the same relative path from src/ and from dist/). */
export const MODELGATE_VERSION = (
  JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
