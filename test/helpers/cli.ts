import { main } from '../../src/cli/main';

/** Runs the modelgate CLI in-process and returns its exit code and output. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
    isTTY: false,
  });
  return { code, stdout, stderr };
}
