import { MODELGATE_VERSION } from '../../src/version';
import { runCli } from '../helpers/cli';

describe('the modelgate command line', () => {
  it('prints its version, for bug reports and deployment checks', async () => {
    for (const flag of ['--version', 'version']) {
      expect(await runCli([flag])).toEqual({
        code: 0,
        stdout: `modelgate ${MODELGATE_VERSION}\n`,
        stderr: '',
      });
    }
    expect((await runCli(['--help'])).stdout).toContain('--version');
  });

  it('asks for the report by name when `modelgate report` is given none', async () => {
    const result = await runCli(['report']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^modelgate report: name the report: modelgate report privileges\n/);
  });

  // serve and usage let node's parseArgs errors through to main, which once exited 1 for them.
  it.each([
    [['serve', '--port', '9000'], '--port'],
    [['usage', '--subject', 'x', '--bogus'], '--bogus'],
  ])(
    'refuses an unknown option (%j) as a usage error: exit 2, pointing at the help',
    async (argv, option) => {
      const command = argv[0]!;
      expect(await runCli(argv)).toEqual({
        code: 2,
        stdout: '',
        stderr: `modelgate ${command}: Unknown option '${option}'\nRun "modelgate ${command} --help" for usage.\n`,
      });
    },
  );

  // A terminal of 100 columns shows every help line whole: help is read when something went wrong.
  it("fits each command's help in 100 columns", async () => {
    const commands = [...(await runCli(['--help'])).stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map(
      (m) => m[1]!,
    );
    expect(commands).toEqual(expect.arrayContaining(['serve', 'token', 'bundle', 'audit', 'report']));
    for (const command of commands) {
      const { stdout, stderr } = await runCli([command, '--help']);
      const wide = `${stdout}${stderr}`.split('\n').filter((line) => line.length > 100);
      expect({ command, wide }).toEqual({ command, wide: [] });
    }
  });
});
