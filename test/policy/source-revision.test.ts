import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sourceRevision } from '../../src/policy/source-revision';
import { REGO_DIR, sourcesRevision } from '../helpers/opa';

// `modelgate bundle build` and `npm run build:bundles` (scripts/rego-revision.sh) must name one policy alike.
describe('the revision of a folder of policy sources', () => {
  it('is the one scripts/rego-revision.sh prints, for the shipped policy', async () => {
    expect(await sourceRevision(REGO_DIR)).toBe(sourcesRevision(REGO_DIR));
  });

  it('is the script’s for nested folders, data files and names that sort differently by locale', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-revision-'));
    const write = (name: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    };
    write('policy.rego', 'package modelgate\n');
    write('B.rego', 'package b\n');
    write('a-b.rego', 'package ab\n');
    write('a/b.rego', 'package a.b\n');
    write('data/entitlements.json', '{"subjects":{}}\n');
    write('data/teams.yaml', 'teams: []\n');
    write('lib/helpers.yml', 'x: 1\n');
    const before = await sourceRevision(dir);
    expect(before).toBe(sourcesRevision(dir));
    expect(before).toMatch(/^rego-[0-9a-f]{12}$/);

    // Tests and other files are not the policy: they change nothing.
    write('policy_test.rego', 'package modelgate_test\n');
    write('README.md', '# notes\n');
    expect(await sourceRevision(dir)).toBe(before);

    // Any policy or data byte does.
    write('data/teams.yaml', 'teams: [ops]\n');
    expect(await sourceRevision(dir)).not.toBe(before);
    expect(await sourceRevision(dir)).toBe(sourcesRevision(dir));
  });
});
