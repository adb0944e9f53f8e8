import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUNDLE, loadConfig } from '../../src/config/load-config';
import {
  DEFAULT_INLINE_CHARS,
  DEFAULT_SCREENING_BUDGET_MS,
  DEFAULT_SCREENING_CACHE_ENTRIES,
} from '../../src/screening';
import { runCli } from '../helpers/cli';
import { configErrorOf } from '../helpers/config-errors';

function configFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-config-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('names every file key an environment variable overrode (the container image sets PORT, HOST, MODELGATE_DB)', () => {
    const file = configFile(
      'c.yaml',
      'port: 9000\nhost: 10.0.0.5\ndb: /data/audit.db\ndata_dir: /data\ndatabase: {url: "postgres://u:FilePw@db/x"}\n',
    );
    const config = loadConfig({
      MODELGATE_CONFIG: file,
      PORT: '8080',
      HOST: '0.0.0.0',
      MODELGATE_DB: '/var/lib/modelgate/modelgate.db',
      MODELGATE_DATA_DIR: '/data',
      MODELGATE_DATABASE_URL: 'postgres://u:EnvPw@db/x',
    });
    expect(config.port).toBe(8080);
    expect(config.overriddenByEnv).toEqual([
      'PORT=8080 replaces port: 9000',
      'HOST=0.0.0.0 replaces host: 10.0.0.5',
      'MODELGATE_DB=/var/lib/modelgate/modelgate.db replaces db: /data/audit.db',
      'MODELGATE_DATABASE_URL replaces database.url',
    ]);
    expect(JSON.stringify(config.overriddenByEnv)).not.toMatch(/FilePw|EnvPw/);
    // No file, or the same value: nothing to say.
    expect(loadConfig({ PORT: '8080' }).overriddenByEnv).toEqual([]);
  });

  it('runs on embedded defaults with no file at all', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      db: '/srv/app/.modelgate/modelgate.db',
      dataDir: '/srv/app/.modelgate',
      bundle: DEFAULT_BUNDLE,
      entrypoint: 'modelgate/decision',
      issuers: [],
      auditorScope: 'modelgate:audit',
      audit: { synchronous: 'FULL' },
      source: null,
    });
  });

  it('reads YAML, resolves paths against the file, and lets the environment override the common keys', () => {
    const file = configFile(
      'modelgate.yaml',
      'port: 9000\ndb: state/audit.db\nbundle: policy/b.tar.gz\nentrypoint: acme/verdict\n',
    );
    const dir = path.dirname(file);
    const config = loadConfig({ MODELGATE_CONFIG: file }, '/elsewhere');
    expect(config).toMatchObject({
      port: 9000,
      db: path.join(dir, 'state/audit.db'),
      bundle: path.join(dir, 'policy/b.tar.gz'),
    });
    const overridden = loadConfig(
      { MODELGATE_CONFIG: file, PORT: '9100', MODELGATE_DB: '/var/db.sqlite', MODELGATE_BUNDLE: '/b.tar.gz' },
      '/elsewhere',
    );
    expect(overridden).toMatchObject({
      port: 9100,
      db: '/var/db.sqlite',
      bundle: '/b.tar.gz',
      entrypoint: 'acme/verdict',
    });
  });

  it('reads JSON too', () => {
    const file = configFile(
      'modelgate.json',
      JSON.stringify({ log_level: 'debug', limits: { body_bytes: 4096 } }),
    );
    expect(loadConfig({ MODELGATE_CONFIG: file })).toMatchObject({
      logLevel: 'debug',
      limits: { bodyBytes: 4096 },
    });
  });

  it.each([
    ['a port out of range', 'port: 70000\n', 'port', 'must be <= 65535'],
    ['a port that is not a number', 'port: eighty\n', 'port', 'must be integer'],
    ['an unknown key', 'prot: 8080\n', 'prot', 'is not allowed here'],
    ['a bad entrypoint', 'entrypoint: "data.modelgate.decision"\n', 'entrypoint', 'must match pattern'],
    [
      'an unknown synchronous mode',
      'audit: { synchronous: OFF }\n',
      'audit.synchronous',
      'must be one of FULL, NORMAL',
    ],
    [
      'an algorithm that does not exist',
      'issuers:\n  - { issuer: x, audiences: [a], algorithms: [none], public_key_file: k.pem }\n',
      'issuers[0].algorithms[0]',
      'must be one of',
    ],
    ['a screening budget of 0 ms', 'screening: { budget_ms: 0 }\n', 'screening.budget_ms', 'must be >= 1'],
    [
      'a screening budget over a minute',
      'screening: { budget_ms: 60001 }\n',
      'screening.budget_ms',
      'must be <= 60000',
    ],
    [
      'a screening budget in words',
      'screening: { budget_ms: 2s }\n',
      'screening.budget_ms',
      'must be integer',
    ],
    [
      'a negative inline limit',
      'screening: { inline_chars: -1 }\n',
      'screening.inline_chars',
      'must be >= 0',
    ],
    ['65 screening threads', 'screening: { threads: 65 }\n', 'screening.threads', 'must be <= 64'],
    ['a fractional thread count', 'screening: { threads: 1.5 }\n', 'screening.threads', 'must be integer'],
    [
      'share_small as a word',
      'screening: { share_small: sometimes }\n',
      'screening.share_small',
      'must be boolean',
    ],
  ])('stops on %s, naming the key and the problem', (_name, yaml, key, message) => {
    const err = configErrorOf(() => loadConfig({ MODELGATE_CONFIG: configFile('c.yaml', yaml) }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`config: ${key}: ${message}`);
  });

  it('reads the screening pool settings, each defaulting on its own (threads 0 = the default count)', () => {
    expect(loadConfig({}, '/srv/app').screening).toEqual({
      inlineChars: DEFAULT_INLINE_CHARS,
      budgetMs: DEFAULT_SCREENING_BUDGET_MS,
      threads: 0,
      cacheEntries: DEFAULT_SCREENING_CACHE_ENTRIES,
    });
    const file = configFile(
      's.yaml',
      'screening:\n  inline_chars: 0\n  budget_ms: 250\n  threads: 2\n  share_small: false\n  cache_entries: 0\n',
    );
    expect(loadConfig({ MODELGATE_CONFIG: file }).screening).toEqual({
      inlineChars: 0,
      budgetMs: 250,
      threads: 2,
      shareSmall: false,
      cacheEntries: 0,
    });
    const some = configFile('t.json', JSON.stringify({ screening: { budget_ms: 5000 } }));
    expect(loadConfig({ MODELGATE_CONFIG: some }).screening).toEqual({
      inlineChars: DEFAULT_INLINE_CHARS,
      budgetMs: 5000,
      threads: 0,
      cacheEntries: DEFAULT_SCREENING_CACHE_ENTRIES,
    });
  });

  it('has no shared database unless database.url or MODELGATE_DATABASE_URL names one', () => {
    expect(loadConfig({}, '/srv/app').database).toBeUndefined();
    const file = configFile(
      'db.yaml',
      'database:\n  url: postgres://modelgate@db/modelgate\n  pool_size: 4\n',
    );
    expect(loadConfig({ MODELGATE_CONFIG: file }).database).toEqual({
      url: 'postgres://modelgate@db/modelgate',
      poolSize: 4,
    });
    expect(
      loadConfig({ MODELGATE_CONFIG: file, MODELGATE_DATABASE_URL: 'postgresql://other@db2/mg' }).database,
    ).toEqual({ url: 'postgresql://other@db2/mg', poolSize: 4 });
    const err = configErrorOf(() => loadConfig({ MODELGATE_DATABASE_URL: 'mysql://db/mg' }));
    expect(err.key).toBe('database.url');
  });

  it('stops on a file that is not YAML, naming MODELGATE_CONFIG', () => {
    const err = configErrorOf(() => loadConfig({ MODELGATE_CONFIG: configFile('c.yaml', 'port: [8080\n') }));
    expect(err.key).toBe('MODELGATE_CONFIG');
    expect(err.message).toContain('is not valid YAML');
  });

  it('stops on a PORT that is not a number', () => {
    expect(configErrorOf(() => loadConfig({ PORT: 'http' })).message).toBe(
      'config: PORT: must be a whole number, got "http"',
    );
  });

  it('makes `modelgate serve` exit 2 with the message, before listening', async () => {
    const file = configFile(
      'c.yaml',
      'issuers:\n  - { issuer: x, audiences: [a], algorithms: [ES256], secret_env: MY_SECRET }\n',
    );
    const { code, stderr } = await runCli(['serve', '--config', file], {
      ...process.env,
      MY_SECRET: 'x'.repeat(40),
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^modelgate: cannot start: config: issuers\[0\]\.algorithms/);
  });
});
