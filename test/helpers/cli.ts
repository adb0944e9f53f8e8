import { main } from '../../src/cli/main';

/**
 * Runs the modelgate CLI in-process and returns its exit code and output; `isTTY` makes stderr a terminal, and
 * `readerLeavesAfter` closes stdout once it has that many characters, as `| head` does.
 */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  { isTTY = false, readerLeavesAfter }: { isTTY?: boolean; readerLeavesAfter?: number } = {},
) {
  let stdout = '';
  let stderr = '';
  let readerGone = false;
  const code = await main(argv, {
    stdout: (s) => {
      if (readerGone) return;
      stdout += s;
      readerGone = readerLeavesAfter !== undefined && stdout.length >= readerLeavesAfter;
    },
    stderr: (s) => (stderr += s),
    env,
    isTTY,
    readerGone: () => readerGone,
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
