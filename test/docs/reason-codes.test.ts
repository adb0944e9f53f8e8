import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ReasonCode } from '../../src/errors';

// Every code modelgate produces is stable and part of the contract: a caller who meets one must find it in the
// documentation, with the status it comes with.
const DOCS = path.join(__dirname, '..', '..', 'docs');
const text = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => readFileSync(path.join(DOCS, name), 'utf8'))
  .join('\n');

test.each(Object.values(ReasonCode))('reason code %s is documented in docs/', (code) => {
  expect(text).toContain(`\`${code}\``);
});
