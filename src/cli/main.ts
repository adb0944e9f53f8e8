#!/usr/bin/env node
import { auditCommand } from './commands/audit';
import { bundleCommand } from './commands/bundle';
import { replayCommand } from './commands/replay';
import { reportCommand } from './commands/report';
import { serveCommand } from './commands/serve';
import { testBundleCommand } from './commands/test-bundle';
import { tokenCommand } from './commands/token';
import { usageCommand } from './commands/usage';
import { ConfigError } from '../errors';
import { MODELGATE_VERSION } from '../version';
import { misspeltEnvError } from './misspelt-env';
import { unknownWordText } from './nearest-name';
import type { CliCommand, CliIo } from './cli-command';

const commands: CliCommand[] = [
  serveCommand,
  tokenCommand,
  testBundleCommand,
  auditCommand,
  usageCommand,
  bundleCommand,
  replayCommand,
  reportCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: modelgate <command> [options]',
    '',
    'modelgate decides whether a workload may invoke a model, and records every decision.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `modelgate <command> --help` (or `modelgate help <command>`) for a command’s options;',
    '`modelgate --version` prints the version.',
    '',
    'Exit status: 0 success, 1 failure, 2 usage error (an unknown command or option, a missing',
    'argument). Some commands say more with 1 and 3 (audit verify: 1 broken, 3 could not verify;',
    'replay: 3 the candidate changes decisions): see their help.',
    '',
    'Environment: MODELGATE_CONFIG (the configuration file), MODELGATE_DB, MODELGATE_DATABASE_URL,',
    'MODELGATE_BUNDLE, MODELGATE_DATA_DIR, PORT, HOST and LOG_LEVEL override its keys',
    '(docs/configuration.md); MODELGATE_OPA is the opa binary of `bundle build` and `capabilities`.',
    '',
  ].join('\n');
}

/** node's parseArgs rejects an unknown or malformed option with one of these codes: a usage error. */
function isUsageError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

// A path typed after --db is the command line's, not the config file's: "config: db:" sent readers there.
function failureText(err: unknown, argv: string[]): string {
  // Not errorText: node's own errors (parseArgs') can come from another realm, where instanceof Error fails.
  if (!(err instanceof ConfigError)) return (err as Error).message;
  // Only db: the configuration's other keys (its bundle) are not what an option of the same name gives.
  if (err.key !== 'db') return err.message;
  const option = '--db';
  const typed = argv.some((arg) => arg === option || arg.startsWith(`${option}=`));
  return typed ? `${option}: ${err.detail}` : err.message;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  // `help audit` is `audit --help`: the way git and npm are asked.
  if (name === 'help' && rest.length > 0) return main([rest[0]!, '--help'], io);
  if (!name) {
    io.stderr(help());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`modelgate ${MODELGATE_VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const names = commands.map((c) => c.name);
    io.stderr(
      unknownWordText('modelgate', 'command', name, names) ??
        `modelgate: unknown command "${name}"\n\n${help()}`,
    );
    return 2;
  }
  const misspelt = misspeltEnvError(io.env);
  if (misspelt && !rest.includes('--help') && !rest.includes('-h')) {
    io.stderr(`modelgate: ${misspelt}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr(`modelgate ${name}: ${failureText(err, rest)}\n`);
    if (!isUsageError(err)) return 1;
    io.stderr(`Run "modelgate ${name} --help" for usage.\n`);
    return 2;
  }
}

/** Runs the CLI on this process's arguments and sets its exit code. */
export function runCli(): void {
  // A reader that stops early (`| head`) closes the pipe: the rest of the output has nowhere to go, which is no
  // error of the command's. It finishes its work and exits with its own code, but for a command whose work is the
  // output (audit export), which stops.
  let readerGone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    readerGone = true;
  });
  const io: CliIo = {
    stdout: (s) => {
      if (!readerGone) process.stdout.write(s);
    },
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    readerGone: () => readerGone,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`modelgate: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runCli();
