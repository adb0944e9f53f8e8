import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Returns the python of the integration's cached virtualenv (.tools/venv-<name>), creating it once. */
export function venvPython(name: 'mcp' | 'litellm'): string {
  return execFileSync(path.join(root, 'scripts', 'ensure-python-venv.sh'), [name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60 * 1000,
  }).trim();
}

/** Runs a Python script to its end; resolves with its stdout, rejects with its stderr on a non-zero exit. */
export function runPython(
  python: string,
  script: string,
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [script],
      { env: { ...process.env, ...env }, timeout: timeoutMs, cwd: path.dirname(script) },
      (error, stdout, stderr) => (error ? reject(new Error(`${script} failed: ${stderr}`)) : resolve(stdout)),
    );
  });
}
