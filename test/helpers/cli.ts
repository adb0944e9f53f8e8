import { main } from '../../src/cli/main';

/** Runs the modelgate CLI in-process and returns its exit code and output; `isTTY` makes stderr a terminal. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  { isTTY = false }: { isTTY?: boolean } = {},
) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
    isTTY,
  });
  return { code, stdout, stderr };
}

/**
 * Makes each look at the clock a second later than the one before, so that every progress report is due whatever
 * the machine's speed; undone by jest.restoreAllMocks() or the returned spy's mockRestore().
 */
export function stepClockBySeconds(): jest.SpyInstance<number, []> {
  let now = Date.parse('2026-12-01T00:00:00Z');
  return jest.spyOn(Date, 'now').mockImplementation(() => (now += 1000));
}
