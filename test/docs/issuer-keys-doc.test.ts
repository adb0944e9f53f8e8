import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KeyFetchErrorCode } from '../../src/errors';
import { issuerKeysStatusSchema } from '../../src/schemas/issuer-keys-status.schema';
import { compileValidator } from '../../src/schemas/validators';

// GET /v1/status reports why an issuer's key fetch failed by code: an operator who meets one must find it in the
// table of docs/operations.md, and the example there must be what the service sends.
const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
const section = doc.slice(doc.indexOf('\n## Issuer keys\n'), doc.indexOf('\n## Metrics: `GET /metrics`\n'));

test('the precondition: docs/operations.md has the Issuer keys section', () => {
  expect(section.length).toBeGreaterThan(1000);
});

test.each(Object.values(KeyFetchErrorCode))('key fetch code %s is in the table of Issuer keys', (code) => {
  expect(section).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, 'm'));
});

test('the example of Issuer keys fits the schema', () => {
  const block = /```json\n(\{\n\s+"issuer_keys"[\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  const { issuer_keys: entries } = JSON.parse(block!) as { issuer_keys: unknown[] };
  expect(entries.length).toBeGreaterThan(0);
  const validate = compileValidator(issuerKeysStatusSchema);
  for (const entry of entries) expect(validate.problems(entry)).toEqual([]);
});
