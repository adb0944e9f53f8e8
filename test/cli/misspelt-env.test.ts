import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendMany, openStore } from '../audit/audit-fixtures';
import { runCli } from '../helpers/cli';

// An environment variable is read by its exact name: MODELGATE_CONFG was ignored, and serve started in
// development mode, trusting a local issuer; MODELGATE_DBB made `audit verify` check another file than the
// one meant, and say "intact".
describe('a misspelt MODELGATE_* variable', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-misspelt-env-'));
    db = path.join(dir, 'audit.db');
    const store = openStore(db);
    await appendMany(store, 2);
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the command, naming the variable it resembles (exit 2)', async () => {
    expect((await runCli(['audit', 'verify'], { MODELGATE_DB: db })).code).toBe(0);
    const result = await runCli(['audit', 'verify'], { MODELGATE_DBB: db });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'modelgate: MODELGATE_DBB is not a variable modelgate reads: did you mean MODELGATE_DB? ' +
        '(rename or unset it)\n',
    });
  });

  it('stops serve before it starts in development mode', async () => {
    // PORT stops a serve that ignored the typo too, rather than leave it serving in development mode.
    const env = { MODELGATE_CONFG: path.join(dir, 'modelgate.yaml'), PORT: 'not-a-port' };
    const result = await runCli(['serve'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'MODELGATE_CONFG is not a variable modelgate reads: did you mean MODELGATE_CONFIG?',
    );
  });

  // Other programs' variables (the integrations' MODELGATE_URL, Kubernetes' service links) are no typo.
  it('leaves variables that resemble none of its own alone', async () => {
    const env = {
      MODELGATE_DB: db,
      MODELGATE_URL: 'http://modelgate:8080',
      MODELGATE_TOKEN: 'x',
      MODELGATE_PORT: 'tcp://10.0.0.1:8080',
      MODELGATE_SERVICE_HOST: '10.0.0.1',
      MODELGATE_UID: '10001',
      MODELGATE_GID: '10001',
    };
    expect(await runCli(['audit', 'verify'], env)).toMatchObject({ code: 0, stderr: '' });
  });
});
