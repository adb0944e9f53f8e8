import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, stepClockBySeconds } from '../helpers/cli';
import { appendMany, openStore } from '../audit/audit-fixtures';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-verify-progress-'));
  db = path.join(dir, 'modelgate.db');
  const store = openStore(db);
  await appendMany(store, 1200); // the chain walker reports every 500 records
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(argv: string[], isTTY: boolean) {
  return runCli(['audit', 'verify', '--db', db, ...argv], {}, { isTTY });
}

// A verify of a log of millions of records ran for minutes without a word: was it stuck?
describe('audit verify on a terminal', () => {
  beforeEach(() => {
    stepClockBySeconds();
  });
  afterEach(() => jest.restoreAllMocks());

  it('shows how many records it has checked on stderr, and keeps stdout to the result', async () => {
    const result = await verify([], true);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^1200 records, chain intact, head [0-9a-f]{64}\n$/);
    expect(result.stderr).toMatch(
      /^\r500 records checked, [\d,]+\/s {3}\r1,000 records checked, [\d,]+\/s {3}/,
    );
    expect(result.stderr.endsWith('\n')).toBe(true);
  });

  it('leaves --json output parseable, and says nothing on stderr when it is not a terminal', async () => {
    const tty = await verify(['--json'], true);
    expect(JSON.parse(tty.stdout)).toMatchObject({ ok: true, records: 1200 });
    expect(tty.stderr).toContain('records checked');
    expect(await verify([], false)).toMatchObject({ code: 0, stderr: '' });
  });
});
