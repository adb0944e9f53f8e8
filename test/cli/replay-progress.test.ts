import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, stepClockBySeconds } from '../helpers/cli';
import { DEFAULT_BUNDLE } from '../../src/config/load-config';
import { appendMany, openStore } from '../audit/audit-fixtures';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mg-replay-progress-'));
  db = path.join(dir, 'modelgate.db');
  const store = openStore(db);
  await appendMany(store, 450); // replay reports every 200 records
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replay(isTTY: boolean) {
  const argv = [
    'replay',
    '--bundle',
    DEFAULT_BUNDLE,
    '--active',
    DEFAULT_BUNDLE,
    '--db',
    db,
    '--format',
    'json',
  ];
  return runCli(argv, {}, { isTTY });
}

// A replay of a week of traffic evaluates every decision twice, for minutes, without a word.
describe('modelgate replay on a terminal', () => {
  beforeEach(() => {
    stepClockBySeconds();
  });
  afterEach(() => jest.restoreAllMocks());

  it('counts the records replayed on stderr, and keeps --format json on stdout parseable', async () => {
    const result = await replay(true);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ replayed: 450 });
    expect(result.stderr).toMatch(
      /^\r200 records replayed, [\d,]+\/s {3}\r400 records replayed, [\d,]+\/s {3}/,
    );
    expect(result.stderr.endsWith('\n')).toBe(true);
  });

  it('says nothing on stderr when it is not a terminal', async () => {
    expect(await replay(false)).toMatchObject({ code: 0, stderr: '' });
  });
});
