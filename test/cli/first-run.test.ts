import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const main = path.join(root, 'src', 'cli', 'main.ts');

describe('first run: the rough edges a newcomer meets', () => {
  // With no config, and with a separate metrics listener that is already up when the main port fails.
  it.each([
    ['no configuration', () => ''],
    [
      'a metrics port and decision-log shipping to a file',
      (cwd: string) => {
        const file = path.join(cwd, 'config.json');
        const config = {
          metrics: { port: 0 },
          decision_logs: { file: { path: path.join(cwd, 'decisions.jsonl') } },
        };
        writeFileSync(file, JSON.stringify(config));
        return file;
      },
    ],
  ])(
    'exits non-zero at once, naming the address, when the port is in use (%s)',
    async (_name, configFile) => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        const cwd = mkdtempSync(path.join(os.tmpdir(), 'mg-inuse-'));
        const child = spawn(process.execPath, ['--import', require.resolve('tsx'), main, 'serve'], {
          cwd,
          env: { ...process.env, PORT: String(port), LOG_LEVEL: 'silent', MODELGATE_CONFIG: configFile(cwd) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(null); // still running after 20 s: the old hang
          }, 20_000);
          child.once('exit', (c) => {
            clearTimeout(timer);
            resolve(c);
          });
        });
        expect(code).toBe(2);
        expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use`);
      } finally {
        blocker.close();
      }
    },
  );

  // A step that fails after the audit log's writer thread, the bundle source and the approval sweep
  // have started must let all of them go, or the process never exits.
  it('exits non-zero at once when a later start-up step fails (an unreadable collector token)', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'mg-latefail-'));
    const configFile = path.join(cwd, 'config.json');
    const config = {
      port: 0,
      decision_logs: {
        service: { url: 'http://127.0.0.1:9/logs', bearer_token_file: path.join(cwd, 'no-such-token') },
      },
    };
    writeFileSync(configFile, JSON.stringify(config));
    const child = spawn(process.execPath, ['--import', require.resolve('tsx'), main, 'serve'], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'silent', MODELGATE_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null); // still running after 20 s: something started was never released
      }, 20_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(stderr).toContain('decision_logs.service.bearer_token_file: cannot read');
    expect(code).toBe(2);
  }, 30_000);

  it('`npm run modelgate` before the first build says in one line to build, and fails', () => {
    // The real launcher in a tree that has no dist/ yet.
    const tree = mkdtempSync(path.join(os.tmpdir(), 'mg-unbuilt-'));
    mkdirSync(path.join(tree, 'scripts'));
    copyFileSync(path.join(root, 'scripts', 'modelgate.js'), path.join(tree, 'scripts', 'modelgate.js'));
    const out = spawnSync(process.execPath, [path.join(tree, 'scripts', 'modelgate.js'), 'token'], {
      encoding: 'utf8',
    });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toEqual([
      'modelgate is not built yet: run `npm run build` (or `npm start`, which builds) first.',
    ]);
  });
  // `modelgate bundle inspect … | head` closed the pipe under a write: node's unhandled EPIPE printed a stack.
  it('stops quietly when the reader of its output goes away (`| head`)', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        require.resolve('tsx'),
        main,
        'bundle',
        'inspect',
        path.join(root, 'bundles', 'modelgate.tar.gz'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.destroy(); // gone before the first write, as `head` is after its lines
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
